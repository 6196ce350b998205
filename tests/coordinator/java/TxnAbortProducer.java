// Test helper: writes transactions with Kafka's Java producer, committing the even-numbered
// ones and aborting the odd-numbered ones, so a read_committed consumer can be checked
// against aborts made by Java. Usage: TxnAbortProducer <bootstrap> <topic> <txn id>
// <transactions> <records per transaction>. Values are "commit-<txn>-<n>" or
// "abort-<txn>-<n>", all to partition 0. Prints "done <committed> <aborted>" at the end.

import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public final class TxnAbortProducer {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        String txnId = args[2];
        int transactions = Integer.parseInt(args[3]);
        int perTxn = Integer.parseInt(args[4]);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        int committed = 0;
        int aborted = 0;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            producer.initTransactions();
            for (int t = 0; t < transactions; t++) {
                boolean commit = t % 2 == 0;
                String kind = commit ? "commit" : "abort";
                producer.beginTransaction();
                for (int n = 0; n < perTxn; n++) {
                    producer.send(new ProducerRecord<>(topic, 0, "k" + t, kind + "-" + t + "-" + n));
                }
                producer.flush();  // the records reach the log before the abort marker
                if (commit) {
                    producer.commitTransaction();
                    committed++;
                } else {
                    producer.abortTransaction();
                    aborted++;
                }
            }
        }
        System.out.println("done " + committed + " " + aborted);
    }
}
