package io.parley.proxy.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One API pair the proxy translates, both sides: a client's request in its API becomes an upstream chat-completions
 * request ({@link #request}), and the upstream's answer becomes the client's API again ({@link #answer}, one stateful
 * translator per call). The per-direction classes ({@code <In>To<Out>Translator}) do the work.
 */
public interface Translation {

    /** The upstream chat-completions request for a client's request (the client's object may be changed). */
    ObjectNode request(ObjectNode clientRequest);

    /** A new translator for one call's answer. */
    StreamTranslator answer(String model);
}
