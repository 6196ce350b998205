// A broker-side KIP-714 telemetry plugin for tests: every PushTelemetry the broker accepts is
// appended as one JSON line to the file named by the broker property
// `aiokafka.gen.telemetry.dump` (client instance id as a standard UUID, client id, terminating
// flag, content type, push interval, and the metrics bytes in base64 for the test to decode).
// Loaded with `metric.reporters=TelemetryDump` and the compiled class on the broker classpath.

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;
import org.apache.kafka.server.telemetry.ClientTelemetryContext;
import org.apache.kafka.server.telemetry.ClientTelemetryExporter;
import org.apache.kafka.server.telemetry.ClientTelemetryExporterProvider;
import org.apache.kafka.server.telemetry.ClientTelemetryPayload;

public class TelemetryDump implements MetricsReporter, ClientTelemetryExporterProvider {
    public static final String PATH_CONFIG = "aiokafka.gen.telemetry.dump";

    private volatile String path;

    @Override
    public void configure(Map<String, ?> configs) {
        Object value = configs.get(PATH_CONFIG);
        path = value == null ? null : value.toString();
    }

    @Override
    public void init(List<KafkaMetric> metrics) {
    }

    @Override
    public void metricChange(KafkaMetric metric) {
    }

    @Override
    public void metricRemoval(KafkaMetric metric) {
    }

    @Override
    public void close() {
    }

    @Override
    public ClientTelemetryExporter clientTelemetryExporter() {
        return this::record;
    }

    private synchronized void record(ClientTelemetryContext context, ClientTelemetryPayload payload) {
        if (path == null) {
            return;
        }
        ByteBuffer data = payload.data().duplicate();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        Uuid id = payload.clientInstanceId();
        String instance = new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits()).toString();
        String clientId = context.authorizableRequestContext().clientId();
        String line = "{\"instance\": \"" + instance + "\""
            + ", \"client_id\": \"" + escape(clientId) + "\""
            + ", \"terminating\": " + payload.isTerminating()
            + ", \"content_type\": \"" + escape(payload.contentType()) + "\""
            + ", \"push_interval_ms\": " + context.pushIntervalMs()
            + ", \"data\": \"" + Base64.getEncoder().encodeToString(bytes) + "\"}\n";
        try (OutputStream out = new FileOutputStream(path, true)) {
            out.write(line.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
