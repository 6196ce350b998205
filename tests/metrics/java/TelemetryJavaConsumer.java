// Kafka's own Java consumer with client telemetry on (enable.metrics.push, the default), in
// a group: produces one record, polls until it has it (so fetch, lag and coordinator metrics
// exist), waits for its telemetry subscription, then for stdin to end, then closes.
// Usage: TelemetryJavaConsumer <bootstrap> <client.id and group.id> <topic>

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class TelemetryJavaConsumer {
    public static void main(String[] args) throws Exception {
        Properties out = new Properties();
        out.put("bootstrap.servers", args[0]);
        out.put("client.id", args[1] + "-feeder");
        out.put("enable.metrics.push", "false");
        out.put("key.serializer", StringSerializer.class.getName());
        out.put("value.serializer", StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(out)) {
            producer.send(new ProducerRecord<>(args[2], "k", "v")).get();
        }
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("client.id", args[1]);
        props.put("group.id", args[1]);
        props.put("auto.offset.reset", "earliest");
        props.put("enable.metrics.push", "true");
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(args[2]));
            int seen = 0;
            long deadline = System.currentTimeMillis() + 60_000;
            while (seen == 0 && System.currentTimeMillis() < deadline) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                seen += records.count();
            }
            if (seen == 0) {
                throw new IllegalStateException("no record consumed");
            }
            consumer.commitSync();
            Uuid id = consumer.clientInstanceId(Duration.ofSeconds(60));
            System.out.println("instance " + id);
            System.out.flush();
            // keep polling (network I/O, telemetry included, happens in poll) until the test
            // closes stdin
            AtomicBoolean done = new AtomicBoolean();
            Thread stdin = new Thread(() -> {
                try {
                    while (System.in.read() != -1) {
                    }
                } catch (java.io.IOException e) {
                    // closing either way
                }
                done.set(true);
            });
            stdin.setDaemon(true);
            stdin.start();
            while (!done.get()) {
                consumer.poll(Duration.ofMillis(100));
            }
        }
    }
}
