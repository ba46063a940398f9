package io.parley.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * An HTTP/1.1 client on a plain socket, for what a well-behaved client never does: declare a body and not send it, send
 * a request head a line at a time, stop in the middle. Every read is bounded by a socket timeout, so a server that never
 * answers fails the test instead of hanging it.
 */
public final class RawHttp implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects to a loopback port; each read waits at most {@code readBound}. */
    public static RawHttp connect(int port, Duration readBound) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout((int) readBound.toMillis());
        socket.setTcpNoDelay(true);
        return new RawHttp(socket);
    }

    /** Writes text as it is (use {@code \r\n} line ends) and flushes it. */
    public RawHttp send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return this;
    }

    /** Writes {@code count} bytes of {@code fill}; false if the server closed the connection before they all went. */
    public boolean trySend(int count, byte fill) {
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, fill);
        try {
            for (int sent = 0; sent < count; sent += chunk.length) {
                out.write(chunk, 0, Math.min(chunk.length, count - sent));
            }
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Reads until the end of a response head ({@code \r\n\r\n}) and returns the head. Throws if the connection ends or
     * the read bound passes first.
     */
    public String readHead() throws IOException {
        int start = received.size();
        while (true) {
            byte[] all = received.toByteArray();
            String text = new String(all, start, all.length - start, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            if (end >= 0) {
                return text.substring(0, end);
            }
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before a response head; received: " + text);
            }
            received.write(b);
        }
    }

    /** The status code of a response head. */
    public static int status(String head) {
        return Integer.parseInt(head.substring(9, 12));
    }

    /**
     * Reads whatever the server still sends and waits for it to close the connection: true if it did (end of stream
     * or reset), false if it kept the connection open past the read bound.
     */
    public boolean closedByServer() {
        byte[] buffer = new byte[8192];
        try {
            while (true) {
                int n = in.read(buffer);
                if (n < 0) {
                    return true;
                }
                received.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    /** Everything received so far, as ISO-8859-1 text. */
    public String received() {
        return received.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
