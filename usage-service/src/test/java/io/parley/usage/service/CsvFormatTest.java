package io.parley.usage.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CsvFormatTest {

    @Test
    void fieldsWithSeparatorsQuotesOrLineBreaksAreQuotedAndQuotesDoubled() {
        assertEquals("plain", CsvFormat.escape("plain"));
        assertEquals("\"a,b\"", CsvFormat.escape("a,b"));
        assertEquals("\"say \"\"hi\"\"\"", CsvFormat.escape("say \"hi\""));
        assertEquals("\"two\nlines\"", CsvFormat.escape("two\nlines"));
        assertEquals("\"cr\rhere\"", CsvFormat.escape("cr\rhere"));
    }

    @Test
    void textThatASpreadsheetWouldEvaluateIsDefused() {
        assertEquals("'=1+1", CsvFormat.text("=1+1"));
        assertEquals("'@SUM(A1)", CsvFormat.text("@SUM(A1)"));
        assertEquals("'-2", CsvFormat.text("-2"));
        assertEquals("alice", CsvFormat.text("alice"));
        assertEquals("", CsvFormat.text(null));
    }
}
