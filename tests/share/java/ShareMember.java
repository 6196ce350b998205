// A Java KafkaShareConsumer for the share-group interop test: joins the group given on
// the command line, prints "REC <offset> <value> <deliveryCount>" per record, commits
// (implicit mode: accepts what the poll returned) after every poll, and closes when a
// line arrives on stdin. Prints "READY" once subscribed and "DONE" after close().
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

public class ShareMember {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("group.id", args[1]);
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        props.put("max.poll.records", "20");
        AtomicBoolean stop = new AtomicBoolean(false);
        Thread watcher = new Thread(() -> {
            try {
                new BufferedReader(new InputStreamReader(System.in)).readLine();
            } catch (Exception ignored) {
            }
            stop.set(true);
        });
        watcher.setDaemon(true);
        watcher.start();
        try (KafkaShareConsumer<String, String> consumer = new KafkaShareConsumer<>(props)) {
            consumer.subscribe(List.of(args[2]));
            System.out.println("READY");
            System.out.flush();
            while (!stop.get()) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<String, String> r : records) {
                    short count = r.deliveryCount().orElse((short) -1);
                    System.out.println("REC " + r.offset() + " " + r.value() + " " + count);
                    Thread.sleep(5);
                }
                System.out.flush();
                if (!records.isEmpty()) {
                    consumer.commitSync();
                }
            }
        }
        System.out.println("DONE");
        System.out.flush();
    }
}
