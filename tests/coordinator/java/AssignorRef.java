// Differential reference for tests/coordinator/test_java_assignors.py: runs Kafka's own
// client-side assignors over cases read as JSON from stdin and prints their assignments.
// Input: [{"assignor": "range"|"roundrobin"|"sticky"|"cooperative-sticky",
//          "topics": {"t": partitions}, "members": [{"id", "instance"?, "topics": [...],
//          "owned": [["t", p], ...], "generation": int}]}]
// Output: [{"member id": [["t", p], ...]}] in the same order.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.*;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

public class AssignorRef {
    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        JsonNode cases = mapper.readTree(System.in);
        ArrayNode out = mapper.createArrayNode();
        for (JsonNode c : cases) out.add(run(mapper, c));
        System.out.println(mapper.writeValueAsString(out));
    }

    static ConsumerPartitionAssignor assignor(String name) {
        switch (name) {
            case "range": return new RangeAssignor();
            case "roundrobin": return new RoundRobinAssignor();
            case "sticky": return new StickyAssignor();
            case "cooperative-sticky": return new CooperativeStickyAssignor();
            default: throw new IllegalArgumentException(name);
        }
    }

    static ObjectNode run(ObjectMapper mapper, JsonNode c) {
        Node node = new Node(0, "localhost", 9092);
        List<PartitionInfo> parts = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> topics = c.get("topics").fields();
        while (topics.hasNext()) {
            Map.Entry<String, JsonNode> t = topics.next();
            for (int p = 0; p < t.getValue().asInt(); p++)
                parts.add(new PartitionInfo(t.getKey(), p, node, new Node[]{node}, new Node[]{node}));
        }
        Cluster cluster = new Cluster("c", List.of(node), parts, Set.of(), Set.of());
        Map<String, Subscription> subs = new HashMap<>();
        for (JsonNode m : c.get("members")) {
            List<String> ts = new ArrayList<>();
            for (JsonNode t : m.get("topics")) ts.add(t.asText());
            List<TopicPartition> owned = new ArrayList<>();
            for (JsonNode o : m.get("owned")) owned.add(new TopicPartition(o.get(0).asText(), o.get(1).asInt()));
            Subscription s = new Subscription(ts, null, owned, m.get("generation").asInt(), Optional.empty());
            if (m.hasNonNull("instance")) s.setGroupInstanceId(Optional.of(m.get("instance").asText()));
            subs.put(m.get("id").asText(), s);
        }
        Map<String, ConsumerPartitionAssignor.Assignment> result =
            assignor(c.get("assignor").asText()).assign(cluster, new GroupSubscription(subs)).groupAssignment();
        ObjectNode answer = mapper.createObjectNode();
        for (Map.Entry<String, ConsumerPartitionAssignor.Assignment> e : result.entrySet()) {
            ArrayNode list = answer.putArray(e.getKey());
            for (TopicPartition tp : e.getValue().partitions()) {
                ArrayNode pair = list.addArray();
                pair.add(tp.topic());
                pair.add(tp.partition());
            }
        }
        return answer;
    }
}
