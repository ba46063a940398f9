package io.parley.e2e.proxy;

import static io.restassured.RestAssured.given;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import io.parley.e2e.Clients;
import io.parley.e2e.platform.LocalPlatform;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/** Tokens from the real Keycloak, the proxy as a REST client, the simulator's metrics and usage rows. */
final class ProxyE2e {

    private ProxyE2e() {
    }

    /** An access token for one of the realm's users, through the public client {@code parley-cli} (password grant). */
    static String token(LocalPlatform platform, String user) {
        return Clients.token(platform, user);
    }

    /** A Parley API key of the token's user, created through {@code POST /v1/keys}. */
    static String apiKey(LocalPlatform platform, String token, String name) {
        return proxy(platform, token)
                .body(Map.of("name", name))
                .post("/v1/keys")
                .then().statusCode(201)
                .extract().path("key");
    }

    static RequestSpecification proxy(LocalPlatform platform, String token) {
        return given().baseUri(platform.proxyUrl()).auth().oauth2(token).contentType(ContentType.JSON);
    }

    /** Sum of one counter's series for {@code model} in a simulator's Prometheus text ({@code /metrics}). */
    static double simulatorMetric(String simulatorUrl, String metric, String model) {
        String text = given().baseUri(simulatorUrl).get("/metrics").then().statusCode(200).extract().asString();
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(metric + "{") && line.contains("model=\"" + model + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** One series of a proxy counter ({@code /q/metrics}) by model and reason; 0 when it does not exist yet. */
    static double proxyMetric(LocalPlatform platform, String metric, String model, String reason) {
        String text = given().baseUri(platform.proxyManagementUrl()).get("/q/metrics").then().statusCode(200).extract()
                .asString();
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(metric + "{") && line.contains("model=\"" + model + "\"")
                    && line.contains("reason=\"" + reason + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** alice's usage records with this correlation id, as the admin sees them in usage-service. */
    static List<Map<String, Object>> usageRows(LocalPlatform platform, String adminToken, String correlationId) {
        return given().baseUri(platform.usageUrl()).auth().oauth2(adminToken).accept(ContentType.JSON)
                .queryParam("user", "alice")
                .queryParam("correlation_id", correlationId)
                .get("/admin/usage")
                .then().statusCode(200)
                .extract().jsonPath().getList("data");
    }

    /**
     * A raw HTTP/1.1 request on a socket of our own, so a test decides exactly when the client goes away (closing the
     * socket), and can declare a body length it never sends.
     */
    static final class RawCall implements AutoCloseable {

        private final Socket socket;
        private final InputStream in;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();

        private RawCall(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
        }

        /** Sends the request line, headers and {@code body}, with {@code contentLength} as declared length. */
        static RawCall post(LocalPlatform platform, String path, String token, Map<String, String> headers,
                String body, long contentLength) {
            try {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress("127.0.0.1", platform.ports().proxy()), 5_000);
                socket.setSoTimeout(120_000);
                StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\n")
                        .append("Host: 127.0.0.1:").append(platform.ports().proxy()).append("\r\n")
                        .append("Authorization: Bearer ").append(token).append("\r\n")
                        .append("Content-Type: application/json\r\n")
                        .append("Content-Length: ").append(contentLength).append("\r\n");
                headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
                head.append("\r\n");
                OutputStream out = socket.getOutputStream();
                out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
                out.write(body.getBytes(StandardCharsets.UTF_8));
                out.flush();
                return new RawCall(socket);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Reads until what arrived so far contains {@code text} (or the server closes); returns all received. */
        String readUntil(String text) {
            byte[] buffer = new byte[8192];
            try {
                while (!received.toString(StandardCharsets.UTF_8).contains(text)) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    received.write(buffer, 0, n);
                }
            } catch (IOException e) {
                // the server may reset the connection after answering (e.g. 413 before reading the body)
            }
            return received.toString(StandardCharsets.UTF_8);
        }

        /** Reads until at least {@code count} SSE {@code data:} lines have arrived (or the server closes). */
        String readEvents(int count) {
            String text = received.toString(StandardCharsets.UTF_8);
            while (text.split("data:", -1).length - 1 < count) {
                String before = text;
                text = readMore();
                if (text.equals(before)) {
                    break;
                }
            }
            return text;
        }

        private String readMore() {
            byte[] buffer = new byte[8192];
            try {
                int n = in.read(buffer);
                if (n > 0) {
                    received.write(buffer, 0, n);
                }
            } catch (IOException e) {
                // the connection ended
            }
            return received.toString(StandardCharsets.UTF_8);
        }

        /** Closes the connection: the client goes away. */
        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
