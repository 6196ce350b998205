/*
 * KafkaRef: Kafka's own Java serializers behind a JSON-lines pipe, for differential tests.
 *
 * Test-only. Compiled and started by tests/support/javaref.py against kafka-clients at the
 * pinned version; it must never be shipped or imported by the library. One request per stdin
 * line, one answer per stdout line. Every answer is a JSON object: {"ok": <result>} on success,
 * {"error": "<type>: <message>"} on failure; the process keeps running after an error. Bytes
 * travel as standard base64 strings.
 *
 * Commands (field "cmd"):
 *   encode       {message | api_key+kind, version, json}        -> {"bytes": b64}
 *                message: a spec name ("ApiVersionsRequest", "RequestHeader",
 *                "ConsumerProtocolSubscription"); or api_key (int) with kind request|response.
 *                json: the message in Kafka's JSON converter format.
 *   decode       {message | api_key+kind, version, bytes}       -> {"json": {...}}
 *   header_versions {api_key, version}                          -> {"request": n, "response": n}
 *   list_messages {}                                            -> {"messages": [{"name",
 *                "class", "lowest", "highest", "api_key"?, "kind"?}]}
 *   build_records {codec none|gzip|snappy|lz4|zstd, magic (2), base_offset, timestamp_type
 *                create|log_append, log_append_time, producer_id, producer_epoch,
 *                base_sequence, transactional, partition_leader_epoch,
 *                records: [{timestamp, key b64|null, value b64|null,
 *                           headers: [[str, b64|null], ...]}]}      -> {"bytes": b64}
 *   build_marker {control COMMIT|ABORT, coordinator_epoch, base_offset, timestamp,
 *                producer_id, producer_epoch, partition_leader_epoch} -> {"bytes": b64}
 *   read_records {bytes}                                        -> {"batches": [{base_offset,
 *                last_offset, magic, checksum, valid, codec, timestamp_type, max_timestamp,
 *                producer_id, producer_epoch, base_sequence, transactional, control,
 *                partition_leader_epoch, records: [{offset, timestamp, key, value,
 *                headers}]}]}   (records omitted with "records_error" when iteration fails)
 *   murmur2      {bytes, partitions}                            -> {"hash", "positive",
 *                "partition"}
 *   reencode     {message | api_key+kind, version, bytes, to_version?} -> {"bytes": b64,
 *                "remaining"}: decode at version, encode at to_version (default: the same)
 *                with Java's own classes (unknown tagged fields are kept).
 *   batch        {requests: [request, ...]}                     -> {"results": [answer, ...]}
 *                each answer is {"ok": ...} or {"error": ...}, exactly as if sent alone.
 * JSON numbers may be NaN/Infinity/-Infinity (Jackson's non-numeric numbers, for float64).
 */

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.protocol.Readable;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Utils;

public final class KafkaRef {
    private static final String PKG = "org.apache.kafka.common.message.";
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature());
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private KafkaRef() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            out.println(MAPPER.writeValueAsString(answer(line)));
        }
    }

    private static ObjectNode answer(String line) {
        try {
            return answer(MAPPER.readTree(line));
        } catch (Throwable e) {
            ObjectNode reply = NODES.objectNode();
            reply.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
            return reply;
        }
    }

    private static ObjectNode answer(JsonNode req) {
        ObjectNode reply = NODES.objectNode();
        try {
            reply.set("ok", dispatch(req));
        } catch (Throwable e) {
            Throwable cause = e.getCause() != null && e instanceof java.lang.reflect.InvocationTargetException ? e.getCause() : e;
            reply.put("error", cause.getClass().getSimpleName() + ": " + cause.getMessage());
        }
        return reply;
    }

    private static JsonNode dispatch(JsonNode req) throws Exception {
        String cmd = req.path("cmd").asText();
        switch (cmd) {
            case "encode": return encode(req);
            case "decode": return decode(req);
            case "header_versions": return headerVersions(req);
            case "list_messages": return listMessages();
            case "build_records": return buildRecords(req);
            case "build_marker": return buildMarker(req);
            case "read_records": return readRecords(req);
            case "murmur2": return murmur2(req);
            case "reencode": return reencode(req);
            case "batch": return batch(req);
            default: throw new IllegalArgumentException("unknown cmd " + cmd);
        }
    }

    // ---- generic messages -------------------------------------------------------------

    private static Class<?> messageClass(JsonNode req) throws Exception {
        if (req.has("api_key")) {
            ApiMessageType type = ApiMessageType.fromApiKey((short) req.get("api_key").asInt());
            String kind = req.path("kind").asText("request");
            if (kind.equals("request")) return type.newRequest().getClass();
            if (kind.equals("response")) return type.newResponse().getClass();
            throw new IllegalArgumentException("kind must be request or response with api_key");
        }
        String name = req.get("message").asText();
        try {
            return Class.forName(PKG + name + "Data");
        } catch (ClassNotFoundException e) {
            return Class.forName(PKG + name);
        }
    }

    private static Class<?> converterClass(Class<?> messageClass) throws Exception {
        return Class.forName(messageClass.getName() + "JsonConverter");
    }

    private static JsonNode encode(JsonNode req) throws Exception {
        Class<?> cls = messageClass(req);
        short version = (short) req.get("version").asInt();
        Method read = converterClass(cls).getMethod("read", JsonNode.class, short.class);
        Message message = (Message) read.invoke(null, req.get("json"), version);
        ByteBuffer buf = MessageUtil.toByteBufferAccessor(message, version).buffer();
        return bytesNode(buf);
    }

    private static JsonNode decode(JsonNode req) throws Exception {
        Class<?> cls = messageClass(req);
        short version = (short) req.get("version").asInt();
        ByteBufferAccessor accessor = new ByteBufferAccessor(ByteBuffer.wrap(b64(req.get("bytes"))));
        Constructor<?> ctor = cls.getConstructor(Readable.class, short.class);
        Object message = ctor.newInstance(accessor, version);
        Method write = converterClass(cls).getMethod("write", cls, short.class);
        ObjectNode result = NODES.objectNode();
        result.set("json", (JsonNode) write.invoke(null, message, version));
        result.put("remaining", accessor.remaining());
        return result;
    }

    private static JsonNode reencode(JsonNode req) throws Exception {
        Class<?> cls = messageClass(req);
        short version = (short) req.get("version").asInt();
        ByteBufferAccessor accessor = new ByteBufferAccessor(ByteBuffer.wrap(b64(req.get("bytes"))));
        Message message = (Message) cls.getConstructor(Readable.class, short.class).newInstance(accessor, version);
        short toVersion = (short) req.path("to_version").asInt(version);
        ObjectNode result = (ObjectNode) bytesNode(MessageUtil.toByteBufferAccessor(message, toVersion).buffer());
        result.put("remaining", accessor.remaining());
        return result;
    }

    private static JsonNode batch(JsonNode req) {
        ArrayNode results = NODES.arrayNode();
        for (JsonNode one : req.path("requests")) results.add(answer(one));
        ObjectNode result = NODES.objectNode();
        result.set("results", results);
        return result;
    }

    private static JsonNode headerVersions(JsonNode req) {
        ApiMessageType type = ApiMessageType.fromApiKey((short) req.get("api_key").asInt());
        short version = (short) req.get("version").asInt();
        ObjectNode result = NODES.objectNode();
        result.put("request", type.requestHeaderVersion(version));
        result.put("response", type.responseHeaderVersion(version));
        return result;
    }

    private static JsonNode listMessages() throws Exception {
        File jar = new File(ApiMessageType.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        TreeSet<String> names = new TreeSet<>();
        try (JarFile file = new JarFile(jar)) {
            Enumeration<JarEntry> entries = file.entries();
            while (entries.hasMoreElements()) {
                String entry = entries.nextElement().getName();
                String prefix = PKG.replace('.', '/');
                if (entry.startsWith(prefix) && entry.endsWith("JsonConverter.class") && !entry.contains("$")) {
                    names.add(entry.substring(prefix.length(), entry.length() - "JsonConverter.class".length()));
                }
            }
        }
        ArrayNode list = NODES.arrayNode();
        for (String name : names) list.add(describe(name));
        ObjectNode result = NODES.objectNode();
        result.set("messages", list);
        return result;
    }

    private static ObjectNode describe(String className) throws Exception {
        Class<?> cls = Class.forName(PKG + className);
        ObjectNode node = NODES.objectNode();
        node.put("class", className);
        node.put("name", className.endsWith("Data") ? className.substring(0, className.length() - 4) : className);
        node.put("lowest", cls.getField("LOWEST_SUPPORTED_VERSION").getShort(null));
        node.put("highest", cls.getField("HIGHEST_SUPPORTED_VERSION").getShort(null));
        for (ApiMessageType type : ApiMessageType.values()) {
            String kind = kindOf(type, cls);
            if (kind != null) {
                node.put("api_key", type.apiKey());
                node.put("kind", kind);
                node.put("latest_version_unstable", type.latestVersionUnstable());
            }
        }
        return node;
    }

    private static String kindOf(ApiMessageType type, Class<?> cls) {
        try {
            if (type.newRequest().getClass() == cls) return "request";
            if (type.newResponse().getClass() == cls) return "response";
        } catch (RuntimeException e) {
            return null; // an API whose messages the jar no longer builds
        }
        return null;
    }

    // ---- records ------------------------------------------------------------------------

    private static Compression compression(String codec) {
        return Compression.of(codec).build();
    }

    private static JsonNode buildRecords(JsonNode req) {
        byte magic = (byte) req.path("magic").asInt(2);
        TimestampType tsType = req.path("timestamp_type").asText("create").equals("log_append")
                ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME;
        ByteBuffer buffer = ByteBuffer.allocate(1024);
        MemoryRecordsBuilder builder = MemoryRecords.builder(buffer, magic,
                compression(req.path("codec").asText("none")), tsType,
                req.path("base_offset").asLong(0), req.path("log_append_time").asLong(-1),
                req.path("producer_id").asLong(-1), (short) req.path("producer_epoch").asInt(-1),
                req.path("base_sequence").asInt(-1), req.path("transactional").asBoolean(false),
                false, req.path("partition_leader_epoch").asInt(-1));
        for (JsonNode rec : req.path("records")) builder.append(simpleRecord(rec));
        return bytesNode(builder.build().buffer());
    }

    private static SimpleRecord simpleRecord(JsonNode rec) {
        List<Header> headers = new ArrayList<>();
        for (JsonNode h : rec.path("headers")) headers.add(new RecordHeader(h.get(0).asText(), b64(h.get(1))));
        return new SimpleRecord(rec.path("timestamp").asLong(-1), b64(rec.get("key")), b64(rec.get("value")),
                headers.toArray(new Header[0]));
    }

    private static JsonNode buildMarker(JsonNode req) {
        ControlRecordType type = ControlRecordType.valueOf(req.get("control").asText());
        EndTransactionMarker marker = new EndTransactionMarker(type, req.path("coordinator_epoch").asInt(0));
        MemoryRecords records = MemoryRecords.withEndTransactionMarker(req.path("base_offset").asLong(0),
                req.path("timestamp").asLong(0), req.path("partition_leader_epoch").asInt(-1),
                req.get("producer_id").asLong(), (short) req.get("producer_epoch").asInt(), marker);
        return bytesNode(records.buffer());
    }

    private static JsonNode readRecords(JsonNode req) {
        MemoryRecords records = MemoryRecords.readableRecords(ByteBuffer.wrap(b64(req.get("bytes"))));
        ArrayNode batches = NODES.arrayNode();
        for (MutableRecordBatch batch : records.batches()) batches.add(batchNode(batch));
        ObjectNode result = NODES.objectNode();
        result.set("batches", batches);
        return result;
    }

    private static ObjectNode batchNode(RecordBatch batch) {
        ObjectNode node = NODES.objectNode();
        node.put("base_offset", batch.baseOffset());
        node.put("last_offset", batch.lastOffset());
        node.put("magic", batch.magic());
        node.put("checksum", batch.checksum());
        node.put("valid", batch.isValid());
        node.put("codec", batch.compressionType().name);
        node.put("timestamp_type", batch.timestampType().name);
        node.put("max_timestamp", batch.maxTimestamp());
        node.put("producer_id", batch.producerId());
        node.put("producer_epoch", batch.producerEpoch());
        node.put("base_sequence", batch.baseSequence());
        node.put("transactional", batch.isTransactional());
        node.put("control", batch.isControlBatch());
        node.put("partition_leader_epoch", batch.partitionLeaderEpoch());
        try {
            ArrayNode recs = NODES.arrayNode();
            for (Record record : batch) recs.add(recordNode(record));
            node.set("records", recs);
        } catch (RuntimeException e) {
            node.put("records_error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        return node;
    }

    private static ObjectNode recordNode(Record record) {
        ObjectNode node = NODES.objectNode();
        node.put("offset", record.offset());
        node.put("timestamp", record.timestamp());
        node.set("key", bufferOrNull(record.hasKey() ? record.key() : null));
        node.set("value", bufferOrNull(record.hasValue() ? record.value() : null));
        ArrayNode headers = NODES.arrayNode();
        for (Header h : record.headers()) {
            ArrayNode pair = NODES.arrayNode();
            pair.add(h.key());
            pair.add(h.value() == null ? NODES.nullNode() : NODES.textNode(Base64.getEncoder().encodeToString(h.value())));
            headers.add(pair);
        }
        node.set("headers", headers);
        return node;
    }

    // ---- partitioner hash ---------------------------------------------------------------

    private static JsonNode murmur2(JsonNode req) {
        int hash = Utils.murmur2(b64(req.get("bytes")));
        int partitions = req.path("partitions").asInt(1);
        ObjectNode result = NODES.objectNode();
        result.put("hash", hash);
        result.put("positive", Utils.toPositive(hash));
        result.put("partition", Utils.toPositive(hash) % partitions);
        return result;
    }

    // ---- helpers ------------------------------------------------------------------------

    private static byte[] b64(JsonNode node) {
        if (node == null || node.isNull()) return null;
        return Base64.getDecoder().decode(node.asText());
    }

    private static JsonNode bufferOrNull(ByteBuffer buf) {
        if (buf == null) return NODES.nullNode();
        byte[] data = new byte[buf.remaining()];
        buf.duplicate().get(data);
        return NODES.textNode(Base64.getEncoder().encodeToString(data));
    }

    private static JsonNode bytesNode(ByteBuffer buf) {
        ObjectNode result = NODES.objectNode();
        result.set("bytes", bufferOrNull(buf));
        return result;
    }
}
