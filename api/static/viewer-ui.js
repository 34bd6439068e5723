/* dealsignal viewer controls (plain JS; the beacon is viewer.js and knows nothing of this).
 *
 * Page counter and jump, zoom (the page images' `sizes` follow the zoomed width, so the
 * browser fetches a sharper width from the srcset), thumbnails (a rail on wide screens, a
 * drawer on phones), keyboard (←/→, PageUp/PageDown, j/k, Home/End, +/−) and horizontal
 * swipe navigation. Pages are the [data-page] elements; thumbnails carry [data-thumb] so the
 * beacon's IntersectionObserver never mistakes them for pages.
 */
(function () {
  "use strict";
  var pages = Array.prototype.slice.call(document.querySelectorAll("[data-page]"));
  if (!pages.length) return;
  var viewer = document.querySelector(".viewer");
  var main = document.querySelector("main.pages");
  var input = document.getElementById("page-input");
  var level = document.getElementById("zoom-level");
  var thumbsButton = document.querySelector("[data-action=thumbs]");
  var thumbs = Array.prototype.slice.call(document.querySelectorAll("[data-thumb]"));
  var ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];
  var zoom = 2; // index of 1 (100 %)
  var current = 1;
  var narrow = window.matchMedia("(max-width: 47.99rem)");

  // While a smooth scroll to a page runs, the pages it passes are not the reader's.
  var target = 0;

  function show(n, smooth) {
    n = Math.max(1, Math.min(pages.length, n));
    target = smooth ? n : 0;
    pages[n - 1].scrollIntoView({ block: "start", behavior: smooth ? "smooth" : "auto" });
    setCurrent(n);
  }

  function setCurrent(n) {
    current = n;
    if (document.activeElement !== input) input.value = String(n);
    thumbs.forEach(function (a) {
      var on = parseInt(a.getAttribute("data-thumb"), 10) === n;
      if (on) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
    });
  }

  function setSizes() {
    var width = Math.round(pages[0].getBoundingClientRect().width);
    if (width < 1) return;
    pages.forEach(function (page) {
      var img = page.querySelector("img");
      if (img) img.sizes = width + "px";
    });
  }

  function setZoom(index) {
    var keep = current;
    zoom = Math.max(0, Math.min(ZOOMS.length - 1, index));
    main.style.setProperty("--zoom", String(ZOOMS[zoom]));
    level.textContent = Math.round(ZOOMS[zoom] * 100) + "%";
    setSizes();
    show(keep, false);
  }

  function toggleThumbs() {
    var cls = narrow.matches ? "show-thumbs" : "hide-thumbs";
    var shown = viewer.classList.toggle(cls) === narrow.matches;
    thumbsButton.setAttribute("aria-expanded", String(shown));
  }

  // The current page is the one under the reading line (a third of the way down the
  // window): unlike "the most visible page", it does not change when a zoomed page is taller
  // than the window or when images above it reload at another width.
  function pageAtReadingLine() {
    var line = window.innerHeight / 3;
    for (var i = 0; i < pages.length; i++) {
      var box = pages[i].getBoundingClientRect();
      if (box.top <= line && box.bottom > line) return i + 1;
    }
    return 0;
  }
  var queued = false;
  document.addEventListener("scroll", function () {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(function () {
      queued = false;
      var n = pageAtReadingLine();
      if (target) {
        if (n !== target) return;
        target = 0;
      }
      if (n) setCurrent(n);
    });
  }, { passive: true, capture: true });
  ["wheel", "touchstart"].forEach(function (type) {
    window.addEventListener(type, function () { target = 0; }, { passive: true });
  });

  pages.forEach(function (page) {
    var img = page.querySelector("img");
    function loaded() { page.classList.add("loaded"); }
    if (img.complete && img.naturalHeight) loaded(); else img.addEventListener("load", loaded);
  });

  document.querySelector("[data-jump]").addEventListener("submit", function (ev) {
    ev.preventDefault();
    show(parseInt(input.value, 10) || 1, true);
  });
  input.addEventListener("change", function () { show(parseInt(input.value, 10) || 1, true); });
  document.querySelector("[data-action=zoom-in]").addEventListener("click", function () { setZoom(zoom + 1); });
  document.querySelector("[data-action=zoom-out]").addEventListener("click", function () { setZoom(zoom - 1); });
  thumbsButton.addEventListener("click", toggleThumbs);
  thumbsButton.setAttribute("aria-expanded", String(!narrow.matches));
  thumbs.forEach(function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      show(parseInt(a.getAttribute("data-thumb"), 10), false);
      if (narrow.matches && viewer.classList.contains("show-thumbs")) toggleThumbs();
    });
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.target && /^(INPUT|TEXTAREA|SELECT)$/.test(ev.target.tagName)) return;
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    var key = ev.key;
    if (key === "ArrowRight" || key === "PageDown" || key === "j") show(current + 1, false);
    else if (key === "ArrowLeft" || key === "PageUp" || key === "k") show(current - 1, false);
    else if (key === "Home") show(1, false);
    else if (key === "End") show(pages.length, false);
    else if (key === "+" || key === "=") setZoom(zoom + 1);
    else if (key === "-") setZoom(zoom - 1);
    else return;
    ev.preventDefault();
  });

  // A clear horizontal swipe turns the page (vertical swipes scroll as usual); not when
  // zoomed in, where a sideways swipe pans the page instead.
  var start = null;
  main.addEventListener("touchstart", function (ev) {
    start = ev.touches.length === 1 ? { x: ev.touches[0].clientX, y: ev.touches[0].clientY } : null;
  }, { passive: true });
  main.addEventListener("touchend", function (ev) {
    if (!start || ZOOMS[zoom] > 1 || !ev.changedTouches.length) return;
    var dx = ev.changedTouches[0].clientX - start.x;
    var dy = ev.changedTouches[0].clientY - start.y;
    start = null;
    if (Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy)) show(current + (dx < 0 ? 1 : -1), true);
  }, { passive: true });

  // Thumbnails are rendered server-side one at a time beside the pages: they load once the
  // first page is on screen, so they never delay it.
  function loadThumbs() {
    thumbs.forEach(function (a) {
      var img = a.querySelector("img[data-src]");
      if (img) { img.loading = "lazy"; img.src = img.getAttribute("data-src"); }
    });
  }
  var first = pages[0].querySelector("img");
  if (first.complete) loadThumbs();
  else {
    first.addEventListener("load", loadThumbs);
    first.addEventListener("error", loadThumbs);
  }

  window.addEventListener("resize", setSizes);
  setSizes();
})();
