package io.parley.e2e.ui;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import com.microsoft.playwright.assertions.PlaywrightAssertions;

import io.parley.e2e.PlatformExtension;

/** The playground ITs' common lifecycle: the running platform, and one Chromium for the whole class. */
@ExtendWith(PlatformExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BrowserIT {

    protected Ui ui;

    @BeforeAll
    void browser() {
        PlaywrightAssertions.setDefaultAssertionTimeout(30_000);
        ui = Ui.start();
    }

    @AfterAll
    void closeBrowser() {
        if (ui != null) {
            ui.close();
        }
    }
}
