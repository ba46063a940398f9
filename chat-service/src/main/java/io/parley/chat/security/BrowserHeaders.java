package io.parley.chat.security;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.parley.chat.config.ChatConfig;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;

/**
 * Security headers on every answer (issue 15 point 5): a strict Content-Security-Policy (scripts, styles, fonts and
 * connections same-origin only; images same-origin, {@code data:} and {@code blob:}, so a remote image in a model's
 * answer cannot load; {@code frame-ancestors} from {@code parley.chat.browser.frame-ancestors}),
 * {@code X-Content-Type-Options: nosniff}, {@code Referrer-Policy: no-referrer}; {@code Cache-Control: no-store} on
 * the API and everything else that is not a page or a bundle, {@code no-cache} on the pages (revalidated, never
 * {@code public}). The Web Bundler's {@code /static/} files keep their own caching (their names change with their
 * content). Set when the headers are written, so they hold whatever route answered.
 */
@ApplicationScoped
public class BrowserHeaders {

    /** The pages: served to the signed-in user only, so never stored by a shared cache. */
    static final Set<String> PAGES = Set.of("/", "/index.html", "/usage", "/usage.html");

    private final String csp;

    public BrowserHeaders(ChatConfig config) {
        this.csp = policy(config.chat().browser().frameAncestors());
    }

    /** The Content-Security-Policy of every answer. */
    public static String policy(String frameAncestors) {
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; "
                + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors "
                + frameAncestors.trim();
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 100).handler(rc -> {
            String path = rc.normalizedPath();
            HttpServerResponse response = rc.response();
            rc.addHeadersEndHandler(v -> {
                response.headers().set("Content-Security-Policy", csp);
                response.headers().set("X-Content-Type-Options", "nosniff");
                response.headers().set("Referrer-Policy", "no-referrer");
                if (PAGES.contains(path)) {
                    response.headers().set("Cache-Control", "no-cache");
                } else if (!path.startsWith("/static/")) {
                    response.headers().set("Cache-Control", "no-store");
                }
            });
            rc.next();
        });
    }
}
