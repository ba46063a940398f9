package io.parley.simulator.rest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/**
 * A plain HTTP/1.1 client over a socket, so a test can read a stream event by event and then drop the connection like
 * a client that goes away.
 */
final class RawStream implements AutoCloseable {

    private final Socket socket;
    private final BufferedReader reader;

    RawStream(URL base, String path, String json, String... headers) throws IOException {
        socket = new Socket(base.getHost(), base.getPort());
        socket.setSoTimeout(10_000);
        StringBuilder request = new StringBuilder()
                .append("POST ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(base.getHost()).append(':').append(base.getPort()).append("\r\n")
                .append("Content-Type: application/json\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        request.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        OutputStream out = socket.getOutputStream();
        out.write(request.toString().getBytes(StandardCharsets.UTF_8));
        out.write(body);
        out.flush();
        reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    /** The HTTP status line, after which the headers are skipped. */
    String statusLine() throws IOException {
        String status = reader.readLine();
        String line;
        while ((line = reader.readLine()) != null && !line.isEmpty()) {
            // headers
        }
        return status;
    }

    /** The payload of the next {@code data:} line (chunked-encoding size lines are skipped). */
    String nextData() throws IOException {
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.startsWith("data: ")) {
                return line.substring("data: ".length());
            }
        }
        return null;
    }

    void setReadTimeoutMillis(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
