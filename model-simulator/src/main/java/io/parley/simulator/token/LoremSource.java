package io.parley.simulator.token;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Endless deterministic lorem ipsum, one token at a time: words (with their leading space), commas and full stops.
 * The same seed gives the same text.
 */
public final class LoremSource implements Iterator<String> {

    private static final String[] WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
            + "tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation "
            + "ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit "
            + "esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui officia "
            + "deserunt mollit anim id est laborum").split(" ");

    private final SplittableRandom random;
    private int wordsLeftInSentence;
    private int wordsSinceComma;
    private boolean first = true;
    private boolean capitalizeNext = true;
    private boolean endSentence;

    public LoremSource(long seed) {
        this.random = new SplittableRandom(seed);
        this.wordsLeftInSentence = sentenceLength();
    }

    @Override
    public boolean hasNext() {
        return true;
    }

    @Override
    public String next() {
        if (endSentence) {
            endSentence = false;
            capitalizeNext = true;
            wordsLeftInSentence = sentenceLength();
            return ".";
        }
        if (wordsSinceComma >= 3 && wordsLeftInSentence >= 2 && random.nextInt(6) == 0) {
            wordsSinceComma = 0;
            return ",";
        }
        String word = WORDS[random.nextInt(WORDS.length)];
        if (capitalizeNext) {
            word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
            capitalizeNext = false;
        }
        wordsSinceComma++;
        wordsLeftInSentence--;
        if (wordsLeftInSentence == 0) {
            endSentence = true;
            wordsSinceComma = 0;
        }
        String token = first ? word : " " + word;
        first = false;
        return token;
    }

    private int sentenceLength() {
        return 6 + random.nextInt(10);
    }

    /** An iterator over at most {@code limit} tokens of {@code source}. */
    public static Iterator<String> limit(Iterator<String> source, int limit) {
        return new Iterator<>() {
            private int taken;

            @Override
            public boolean hasNext() {
                return taken < limit && source.hasNext();
            }

            @Override
            public String next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                taken++;
                return source.next();
            }
        };
    }
}
