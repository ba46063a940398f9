package io.parley.e2e.ui;

import static io.parley.e2e.ui.Ui.LLAMA;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.microsoft.playwright.Page;

import io.parley.e2e.platform.LocalPlatform;

/**
 * Benchmark, not a test (skipped unless {@code -Dparley.bench=true}; issue 17): in Chromium, per turn of the
 * playground, the time from the Send click to the first {@code delta} event reaching the page (the stream reader's
 * {@code read()} that returns it) and to the first token's text in the document, which the playground writes in an
 * animation frame (so it is painted in that frame). Marks are taken in the page with {@code performance.now()} by a
 * script the benchmark installs after login: a wrapper of {@code ReadableStreamDefaultReader.prototype.read}, a
 * capturing click listener and a {@code MutationObserver}; the playground itself is unchanged. Prints
 * {@code BENCH-PAINT} lines (p50/p99 of each interval over {@code parley.bench.turns} turns, 30 by default, after 3
 * warm-up turns) with the model's own TTFT as the platform configures it (llama-3.1-8b-sim).
 *
 * <pre>
 * flock /tmp/parley-e2e.lock mvn -B -pl e2e verify -Dit.test=FirstTokenPaintBenchIT -Dparley.bench=true \
 *     -De2e.chromium=/usr/bin/chromium
 * </pre>
 */
@EnabledIfSystemProperty(named = "parley.bench", matches = "true")
class FirstTokenPaintBenchIT extends BrowserIT {

    private static final String MARKS = """
            () => {
              const P = ReadableStreamDefaultReader.prototype;
              if (!P.__parleyRead) {
                P.__parleyRead = P.read;
                P.read = function () {
                  return P.__parleyRead.call(this).then(r => {
                    const m = window.__parleyMarks;
                    if (m && m.sent != null && m.reached == null && !r.done && r.value) {
                      const t = performance.now();
                      const text = new TextDecoder().decode(r.value);
                      const at = text.search(/event: ?delta/);
                      if (at >= 0) {
                        m.reached = t;
                        const data = /data: ?(\\{.*\\})/.exec(text.slice(at));
                        try { m.first = JSON.parse(data[1]).content; } catch (e) { m.first = ''; }
                      }
                    }
                    return r;
                  });
                };
                document.addEventListener('click', e => {
                  const b = e.target.closest && e.target.closest('button');
                  if (b && b.textContent.trim() === 'Send' && window.__parleyMarks) window.__parleyMarks.sent = performance.now();
                }, true);
                const squash = s => (s || '').replace(/[^A-Za-z0-9]/g, '');
                new MutationObserver(() => {
                  const m = window.__parleyMarks;
                  if (!m || m.reached == null || m.painted != null) return;
                  const answers = document.querySelectorAll('.msg.assistant');
                  const last = answers[answers.length - 1];
                  const want = squash(m.first).slice(0, 6);
                  if (last && want && squash(last.textContent).includes(want)) m.painted = performance.now();
                }).observe(document.body, { childList: true, subtree: true, characterData: true });
              }
              window.__parleyMarks = { sent: null, reached: null, painted: null, first: null };
            }
            """;

    @Test
    void sendToFirstTokenPainted(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        int turns = Integer.getInteger("parley.bench.turns", 30);
        List<Double> reached = new ArrayList<>();
        List<Double> painted = new ArrayList<>();
        List<Double> reachedToPainted = new ArrayList<>();
        for (int i = 0; i < turns + 3; i++) {
            if (i % 10 == 0) {
                page.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON,
                        new Page.GetByRoleOptions().setName("+ New Chat")).click();
            }
            page.evaluate(MARKS);
            Ui.chatWithClick(page, LLAMA, "Benchmark turn " + i + ": say something.");
            Ui.awaitAnswerEnd(page);
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) page.evaluate("() => window.__parleyMarks");
            if (m.get("sent") == null || m.get("reached") == null || m.get("painted") == null) {
                throw new IllegalStateException("turn " + i + " left marks " + m + ": the run is void");
            }
            double sent = ((Number) m.get("sent")).doubleValue();
            double got = ((Number) m.get("reached")).doubleValue();
            double shown = ((Number) m.get("painted")).doubleValue();
            if (i >= 3) {
                reached.add(got - sent);
                painted.add(shown - sent);
                reachedToPainted.add(shown - got);
            }
        }
        print("BENCH-PAINT n=%d Send -> first delta reached the page p50=%.1f p99=%.1f ms", reached.size(), pct(reached, 50),
                pct(reached, 99));
        print("BENCH-PAINT n=%d Send -> first token in the document (its animation frame) p50=%.1f p99=%.1f ms",
                painted.size(), pct(painted, 50), pct(painted, 99));
        print("BENCH-PAINT n=%d reached the page -> painted p50=%.1f p99=%.1f ms (goal: <= 20 ms p50)",
                reachedToPainted.size(), pct(reachedToPainted, 50), pct(reachedToPainted, 99));
        page.context().close();
    }

    private static double pct(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100 * sorted.size()) - 1));
    }

    private static void print(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
