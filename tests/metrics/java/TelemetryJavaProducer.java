// Kafka's own Java producer with client telemetry on (enable.metrics.push, the default):
// sends one record, waits for its telemetry subscription, then for stdin to end, then closes,
// which makes the terminating push. The test compares the metric names Java pushed with ours.
// Usage: TelemetryJavaProducer <bootstrap> <client.id> <topic>

import java.time.Duration;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringSerializer;

public class TelemetryJavaProducer {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("client.id", args[1]);
        props.put("enable.metrics.push", "true");
        props.put("key.serializer", StringSerializer.class.getName());
        props.put("value.serializer", StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            producer.send(new ProducerRecord<>(args[2], "k", "v")).get();
            Uuid id = producer.clientInstanceId(Duration.ofSeconds(60));
            System.out.println("instance " + id);
            System.out.flush();
            // the test closes stdin once the broker has a push from us: close then pushes
            // the terminating one
            while (System.in.read() != -1) {
            }
        }
    }
}
