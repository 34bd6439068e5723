/* dealsignal viewer beacon — active-time page dwell (plain JS, no framework).
 *
 * Config from the script tag: data-session (viewer-session token), data-endpoint ("/e"),
 * data-heartbeat-ms (10000), data-idle-ms (60000), data-tracking ("all", or what the
 * tenant's privacy notice leaves: the open only until the reader agrees, see
 * api/recipient/privacy.py; the server enforces the same from the signed session).
 * Time counts only while the tab is visible, the window focused and the user gave input
 * (mousemove, scroll, keydown, touchstart, wheel) within idle-ms. The current page is the
 * most visible [data-page] element. Every heartbeat the per-page deltas become page_dwell
 * events; unsent events stay queued with their ids, so retries are deduplicated server-side.
 * Wire format: {"s": token, "events": [{"id","t","p","d","q","ts","sig"}]} — see ingest/model.py.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-session]");
  if (!script) return;
  var cfg = script.dataset;
  var TOKEN = cfg.session;
  var ENDPOINT = cfg.endpoint || "/e";
  var HEARTBEAT = parseInt(cfg.heartbeatMs || "10000", 10);
  var IDLE = parseInt(cfg.idleMs || "60000", 10);
  var TRACKING = cfg.tracking || "all";
  var MAX_EVENTS = 100; // limits.max_beacon_events
  var MAX_DELTA = 3600000; // the server rejects dwell over 1 h

  var seq = 0;
  var queue = [];
  var pending = {}; // page -> ms accumulated since the last heartbeat
  var ratios = {};
  var currentPage = 1;
  var lastInput = performance.now();
  var lastTick = lastInput;
  var shown = isShown(); // visible and focused as of the last tick
  var backoff = 0;
  var retryTimer = null;
  var sending = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var s = "";
    for (var i = 0; i < 32; i++) s += Math.floor(Math.random() * 16).toString(16);
    return s;
  }

  function push(type, extra) {
    var ev = { id: uuid(), t: type, q: seq++, ts: Date.now() };
    for (var k in extra) ev[k] = extra[k];
    queue.push(ev);
  }

  function isShown() {
    return document.visibilityState === "visible" && document.hasFocus();
  }

  // Bill the time since the last tick to the current page if the tab was shown during it
  // (the state as of the last tick: by the time blur/visibilitychange run, the browser
  // already reports the new state), and only up to IDLE after the last input.
  function tick() {
    var now = performance.now();
    if (shown) {
      var ms = Math.min(now, lastInput + IDLE) - lastTick;
      if (ms > 0) pending[currentPage] = (pending[currentPage] || 0) + ms;
    }
    lastTick = now;
    shown = isShown();
  }

  function collect() {
    tick();
    if (TRACKING !== "all") { pending = {}; return; } // the open only: no reading time
    for (var page in pending) {
      var ms = Math.min(Math.round(pending[page]), MAX_DELTA);
      if (ms > 0) push("page_dwell", { p: parseInt(page, 10), d: ms });
    }
    pending = {};
  }

  function drop(batch) { // by identity: the queue may have changed while a send was in flight
    queue = queue.filter(function (ev) { return batch.indexOf(ev) < 0; });
  }

  function body(events) {
    return JSON.stringify({ s: TOKEN, events: events });
  }

  function send() {
    if (sending || !queue.length) return;
    var batch = queue.slice(0, MAX_EVENTS);
    sending = true;
    fetch(ENDPOINT, {
      method: "POST", keepalive: true, credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: body(batch)
    }).then(function (res) {
      sending = false;
      if (res.ok || (res.status >= 400 && res.status < 500 && res.status !== 429)) {
        drop(batch); // 2xx done; other 4xx are permanent: drop the batch
        backoff = 0;
        if (queue.length) send();
      } else {
        retry();
      }
    }, function () { sending = false; retry(); });
  }

  function retry() {
    if (retryTimer) return;
    backoff = Math.min(backoff ? backoff * 2 : 1000, 60000);
    retryTimer = setTimeout(function () { retryTimer = null; send(); }, backoff);
  }

  function flushWithBeacon() {
    collect();
    if (!queue.length) return;
    if (!navigator.sendBeacon) { send(); return; }
    while (queue.length) {
      var batch = queue.slice(0, MAX_EVENTS);
      // text/plain keeps sendBeacon a simple request; the same ids make repeats harmless
      if (!navigator.sendBeacon(ENDPOINT, body(batch))) break;
      drop(batch);
    }
  }

  function onInput() { tick(); lastInput = performance.now(); } // idle time is not billed
  ["mousemove", "scroll", "keydown", "touchstart", "wheel"].forEach(function (name) {
    window.addEventListener(name, onInput, { passive: true, capture: true });
  });
  window.addEventListener("focus", tick);
  window.addEventListener("blur", tick);
  document.addEventListener("visibilitychange", function () {
    tick();
    if (document.visibilityState === "hidden") flushWithBeacon();
  });
  window.addEventListener("pagehide", flushWithBeacon);

  function watchPages() {
    var pages = document.querySelectorAll("[data-page]");
    if (!pages.length || !("IntersectionObserver" in window)) return;
    var thresholds = [];
    for (var i = 0; i <= 20; i++) thresholds.push(i / 20);
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        ratios[e.target.getAttribute("data-page")] = e.isIntersecting ? e.intersectionRatio : 0;
      });
      var best = null;
      for (var p in ratios) if (best === null || ratios[p] > ratios[best]) best = p;
      var page = best !== null && ratios[best] > 0 ? parseInt(best, 10) : currentPage;
      if (page !== currentPage) { tick(); currentPage = page; } // bill time to the old page
    }, { threshold: thresholds });
    pages.forEach(function (el) { io.observe(el); });
  }

  // The privacy notice's Agree / Decline: the reply's session token says what may be
  // recorded from now on; time before the answer is never billed.
  var notice = document.querySelector("[data-consent-url]");
  if (notice) notice.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("[data-consent]") : null;
    if (!button) return;
    var answer = button.getAttribute("data-consent");
    fetch(notice.getAttribute("data-consent-url"), {
      method: "POST", credentials: "same-origin",
      body: new URLSearchParams({ answer: answer })
    }).then(function (res) { return res.ok ? res.json() : null; }).then(function (reply) {
      if (!reply) return;
      tick();
      pending = {};
      TOKEN = reply.session;
      TRACKING = reply.tracking;
      notice.setAttribute("data-consent-url", "/s/" + reply.session + "/consent");
      notice.setAttribute("data-privacy", TRACKING);
      notice.querySelectorAll("[data-answered]").forEach(function (el) {
        el.hidden = el.getAttribute("data-answered") !== answer;
      });
      var actions = notice.querySelector(".privacy-actions");
      if (actions) actions.hidden = true;
    }, function () {});
  });

  push("view_start", {
    p: 1,
    sig: {
      wd: navigator.webdriver === true,
      sw: (window.screen && screen.width) || 0,
      sh: (window.screen && screen.height) || 0,
      pl: (navigator.plugins && navigator.plugins.length) || 0
    }
  });
  send();
  watchPages();
  setInterval(function () { collect(); send(); }, HEARTBEAT);
})();
