/* dealsignal web app: drag-and-drop upload with progress, copy link, live analytics.
 * Plain JS; every visible string comes from data-* attributes rendered through the
 * message catalogs. Without JS the forms still work (plain POST + redirect). */
(function () {
  "use strict";

  function csrfOf(form) {
    var field = form.querySelector("input[name=csrf]");
    return field ? field.value : "";
  }

  function setupUpload(form) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-drop]");
    var bar = form.querySelector("progress");
    var status = form.querySelector(".status");
    if (!input || !zone || !window.FormData || !window.XMLHttpRequest) return;
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (ev) { ev.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (ev) { ev.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (ev) {
      if (ev.dataTransfer && ev.dataTransfer.files.length) {
        input.files = ev.dataTransfer.files;
        var title = form.querySelector("input[name=title]");
        if (title && !title.value) title.value = input.files[0].name.replace(/\.pdf$/i, "");
      }
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRF-Token", csrfOf(form));
      bar.hidden = false;
      bar.value = 0;
      status.textContent = form.dataset.uploading;
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) bar.value = Math.round((100 * p.loaded) / p.total);
      });
      xhr.addEventListener("load", function () {
        var location = null;
        try { location = JSON.parse(xhr.responseText).location; } catch (e) { location = null; }
        if (xhr.status >= 200 && xhr.status < 300 && location) {
          bar.value = 100;
          status.textContent = form.dataset.done;
          window.location.assign(location);
          return;
        }
        var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var detail = doc.querySelector("main p");
        status.textContent = form.dataset.failed + " " + (detail ? detail.textContent : "HTTP " + xhr.status);
        bar.hidden = true;
      });
      xhr.addEventListener("error", function () {
        status.textContent = form.dataset.failed + " HTTP 0";
        bar.hidden = true;
      });
      xhr.send(new FormData(form));
    });
  }

  function setupCopy(button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copy);
      if (!field) return;
      var label = button.textContent;
      function done() {
        button.textContent = button.dataset.copied;
        setTimeout(function () { button.textContent = label; }, 1500);
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
      } else {
        field.select();
        try { if (document.execCommand("copy")) done(); } catch (e) { /* selected for manual copy */ }
      }
    });
  }

  function setupLive(box) {
    var url = box.dataset.liveUrl;
    var every = parseInt(box.dataset.pollMs || "4000", 10);
    var busy = false;
    function refresh() {
      if (busy || document.visibilityState !== "visible") return;
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var open = {};
          box.querySelectorAll("details").forEach(function (d, i) { open[i] = d.open; });
          box.innerHTML = html; // server-rendered and autoescaped
          box.querySelectorAll("details").forEach(function (d, i) { d.open = !!open[i]; });
        })
        .catch(function () { /* next poll retries */ })
        .then(function () { busy = false; });
    }
    setInterval(refresh, every);
  }

  // Irreversible actions (revoke) ask first; the question comes from the catalogs.
  function setupConfirm(form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  }

  document.querySelectorAll("form.upload").forEach(setupUpload);
  document.querySelectorAll("form[data-confirm]").forEach(setupConfirm);
  document.querySelectorAll("[data-copy]").forEach(setupCopy);
  document.querySelectorAll("[data-live-url]").forEach(setupLive);
})();
