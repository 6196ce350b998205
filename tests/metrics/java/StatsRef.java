// Reference values from Kafka's own stats classes for tests/metrics/test_metrics_java.py.
// stdin: one command per line: "r <value> <ms>" records, "m <ms>" measures, "new" starts a
// fresh set of stats. stdout: per "m", the values of avg max min rate count-rate total count
// value count-rate-per-hour, space-separated; with the arguments <buckets> <min> <max>
// <constant|linear> after <samples> <window-ms>, then p25 p50 p90 p99 of a Percentiles too.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.CompoundStat;
import org.apache.kafka.common.metrics.Measurable;
import org.apache.kafka.common.metrics.MeasurableStat;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.common.metrics.stats.Min;
import org.apache.kafka.common.metrics.stats.Percentile;
import org.apache.kafka.common.metrics.stats.Percentiles;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.common.metrics.stats.Value;
import org.apache.kafka.common.metrics.stats.WindowedCount;

public class StatsRef {
    static String[] histogram;
    static final double[] PCTS = {25, 50, 90, 99};
    static Percentiles percentiles;
    static List<Measurable> measured;

    static List<MeasurableStat> fresh() {
        List<MeasurableStat> stats = new ArrayList<>();
        stats.add(new Avg());
        stats.add(new Max());
        stats.add(new Min());
        stats.add(new Rate());
        stats.add(new Rate(new WindowedCount()));
        stats.add(new CumulativeSum());
        stats.add(new CumulativeCount());
        stats.add(new Value());
        stats.add(new Rate(TimeUnit.HOURS, new WindowedCount()));
        measured = new ArrayList<>(stats);
        if (histogram != null) {
            Percentile[] pcts = new Percentile[PCTS.length];
            for (int i = 0; i < PCTS.length; i++)
                pcts[i] = new Percentile(new MetricName("p" + PCTS[i], "g", "", new java.util.HashMap<>()), PCTS[i]);
            percentiles = new Percentiles(
                Integer.parseInt(histogram[0]) * 4, Double.parseDouble(histogram[1]),
                Double.parseDouble(histogram[2]),
                histogram[3].equals("linear") ? Percentiles.BucketSizing.LINEAR : Percentiles.BucketSizing.CONSTANT,
                pcts);
            stats.add(percentiles);
            for (CompoundStat.NamedMeasurable nm : percentiles.stats()) measured.add(nm.stat());
        }
        return stats;
    }

    public static void main(String[] args) throws Exception {
        int samples = Integer.parseInt(args[0]);
        long window = Long.parseLong(args[1]);
        MetricConfig config = new MetricConfig().samples(samples).timeWindow(window, TimeUnit.MILLISECONDS);
        if (args.length > 2) histogram = new String[] {args[2], args[3], args[4], args[5]};
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        List<MeasurableStat> stats = fresh();
        StringBuilder out = new StringBuilder();
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.trim().split(" ");
            if (f[0].equals("new")) {
                stats = fresh();
            } else if (f[0].equals("r")) {
                double value = Double.parseDouble(f[1]);
                long ms = Long.parseLong(f[2]);
                for (MeasurableStat s : stats) s.record(config, value, ms);
            } else if (f[0].equals("m")) {
                long ms = Long.parseLong(f[1]);
                for (int i = 0; i < measured.size(); i++) {
                    if (i > 0) out.append(' ');
                    out.append(measured.get(i).measure(config, ms));
                }
                out.append('\n');
            }
        }
        System.out.print(out);
    }
}
