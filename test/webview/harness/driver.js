// Browser side of the dashboard harness (screenshots and benchmark). Loaded before dist/webview.js:
// it stands in for VS Code's webview API and lets the Node side post host messages and time renders.
(function () {
  const posted = [];
  let saved = undefined;
  window.acquireVsCodeApi = function () {
    return {
      postMessage: function (message) {
        posted.push(message);
      },
      getState: function () {
        return saved;
      },
      setState: function (state) {
        saved = state;
      },
    };
  };
  const violations = [];
  document.addEventListener('securitypolicyviolation', function (event) {
    violations.push(event.violatedDirective + ' ' + event.blockedURI);
  });
  function nextPaint() {
    return new Promise(function (resolve) {
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          resolve();
        });
      });
    });
  }
  window.__driver = {
    posted: posted,
    violations: violations,
    /** Deliver a host message the way VS Code does (a window message event), synchronously. */
    send: function (json) {
      window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(json) }));
    },
    /**
     * ms from receiving the JSON text: to the end of the handler (parse, reduce, DOM), to the end of a
     * forced style and layout pass, and to the frame after the next one (so the paint is included).
     */
    timeToPaint: async function (json) {
      const start = performance.now();
      window.__driver.send(json);
      const handled = performance.now();
      document.body.getBoundingClientRect();
      const laidOut = performance.now();
      await nextPaint();
      return { handledMs: handled - start, layoutMs: laidOut - start, paintMs: performance.now() - start };
    },
    nextPaint: nextPaint,
    /** Messages handed over ahead of time, so a timed loop does not pay for moving them into the page. */
    queued: [],
    load: function (list) {
      window.__driver.queued = list;
    },
    timeQueued: function (index) {
      return window.__driver.timeToPaint(window.__driver.queued[index]);
    },
  };
})();
