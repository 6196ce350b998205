// Prints Kafka's protocol error table (org.apache.kafka.common.protocol.Errors) as TSV.
// Used by `make update-specs`; compiled against the kafka-clients jar being vendored.
// Columns: code, name, retriable, invalid_metadata, exception class, default message.

import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidMetadataException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;

public final class ErrorsDump {
    private ErrorsDump() {
    }

    private static String clean(String text) {
        if (text == null) {
            return "";
        }
        return text.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    public static void main(String[] args) {
        System.out.println("code\tname\tretriable\tinvalid_metadata\texception\tmessage");
        for (Errors error : Errors.values()) {
            ApiException exc = error.exception();
            boolean retriable = exc instanceof RetriableException;
            boolean invalidMetadata = exc instanceof InvalidMetadataException;
            String cls = exc == null ? "" : exc.getClass().getName();
            String message = exc == null ? "" : exc.getMessage();
            System.out.println(error.code() + "\t" + error.name() + "\t" + retriable + "\t"
                + invalidMetadata + "\t" + cls + "\t" + clean(message));
        }
    }
}
