// Package e2e holds the browser tests: the real server on 127.0.0.1, the
// real app.wasm, driven in headless Chromium with chromedp.
//
// They need Chromium (Debian's chromium package; CHROME_PATH overrides where
// it is looked for). Without it they skip, except when the CI environment
// variable is set: there a missing browser fails the run.
package e2e
