package io.parley.simulator.token;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The simulator's deterministic tokenizer: a token is a run of word characters (letters, digits, underscore, any
 * script) or a single other non-space character. Whitespace belongs to the token after it and is never a token.
 * "Hello, world!" is four tokens: {@code Hello}, {@code ,}, {@code  world}, {@code !}.
 */
public final class Tokenizer {

    private static final Pattern TOKEN = Pattern.compile("\\s*(?:\\w+|[^\\w\\s])", Pattern.UNICODE_CHARACTER_CLASS);

    private Tokenizer() {
    }

    public static int count(String text) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        Matcher m = TOKEN.matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /**
     * Splits text into tokens that keep their leading whitespace, so that joining them gives the text back without
     * its leading and trailing whitespace.
     */
    public static List<String> split(String text) {
        List<String> tokens = new ArrayList<>();
        if (text == null) {
            return tokens;
        }
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            String token = m.group();
            tokens.add(tokens.isEmpty() ? token.stripLeading() : token);
        }
        return tokens;
    }
}
