/* brb.js: the Big Red Button for web apps (SPEC §7), with no dependencies and no build.
 *
 *   <script src="brb.js"></script>
 *   <script>
 *     BigRedButton.start({
 *       base: "https://duo-brb.s3.us-east-1.amazonaws.com",
 *       learnerId: "123456789012345678",            // a string: ids exceed 2^53
 *       tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
 *       features: ["lessons"],                       // what this page needs
 *     });
 *   </script>
 *
 * It polls the learner's cohort object (with jitter; the browser's cache revalidates with
 * If-None-Match) and, while a feature this page needs is paused, covers the page with a
 * maintenance notice; while only other features are paused it shows a banner. It fails
 * open: an error, a timeout, another status or an unreadable body means "not paused",
 * nothing is thrown to the page, and failures back off so a broken S3 is not hammered.
 */
(function (global) {
  "use strict";

  var DEFAULTS = {
    base: "",
    prefix: "brb/",
    cohorts: 100,
    salt: "brb",
    learnerParam: "x-learner-id",
    tzParam: "x-tz",
    interval: 60000,      // ms between polls, jittered by ±20%
    timeout: 3000,        // ms before a poll counts as failed
    maxBackoff: 900000,   // ms, the longest wait after repeated failures
    features: ["*"],      // the features this page needs; "*": any pause covers it
    onChange: null,       // called with {paused: [...], message} or null
  };

  // murmur3_x86_32 of a string's UTF-8 bytes, seed 0.
  function murmur3(text) {
    var bytes = new TextEncoder().encode(text);
    var h = 0, c1 = 0xcc9e2d51, c2 = 0x1b873593, i = 0, k;
    var whole = bytes.length & ~3;
    for (; i < whole; i += 4) {
      k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
      k = Math.imul(k, c1); k = (k << 15) | (k >>> 17); k = Math.imul(k, c2);
      h ^= k; h = (h << 13) | (h >>> 19); h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    k = 0;
    switch (bytes.length & 3) {
      case 3: k ^= bytes[i + 2] << 16; // falls through
      case 2: k ^= bytes[i + 1] << 8;  // falls through
      case 1: k ^= bytes[i];
        k = Math.imul(k, c1); k = (k << 15) | (k >>> 17); k = Math.imul(k, c2); h ^= k;
    }
    h ^= bytes.length;
    h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }

  // The learner id as decimal text without leading zeros, or null.
  function decimalId(id) {
    var text = String(id).trim();
    if (!/^[0-9]+$/.test(text)) return null;
    return text.replace(/^0+(?=[0-9])/, "");
  }

  function cohort(salt, learnerId, cohorts) {
    return murmur3(salt + ":" + decimalId(learnerId)) % Math.max(1, cohorts);
  }

  function cohortKey(prefix, n, cohorts) {
    var width = String(Math.max(1, cohorts - 1)).length;
    var digits = String(n);
    while (digits.length < width) digits = "0" + digits;
    return prefix + "cohort-" + digits + ".json";
  }

  function pollUrl(o) {
    var id = decimalId(o.learnerId);
    var key = cohortKey(o.prefix, cohort(o.salt, id, o.cohorts), o.cohorts);
    var path = key.split("/").map(encodeURIComponent).join("/");
    var url = o.base.replace(/\/+$/, "") + "/" + path + "?" +
      encodeURIComponent(o.learnerParam) + "=" + id;
    if (o.tz) url += "&" + encodeURIComponent(o.tzParam) + "=" + encodeURIComponent(o.tz);
    return url;
  }

  // A body the contract acts on, or null.
  function notice(text) {
    if (text.length > 4096) return null;
    var body;
    try { body = JSON.parse(text); } catch (e) { return null; }
    if (!body || body.v !== 1 || !Array.isArray(body.paused) || body.paused.length === 0) return null;
    for (var i = 0; i < body.paused.length; i++) {
      if (typeof body.paused[i] !== "string") return null;
    }
    return { paused: body.paused.slice(), message: typeof body.message === "string" ? body.message : "" };
  }

  function covers(paused, features) {
    return paused.indexOf("*") >= 0 || features.indexOf("*") >= 0 ||
      features.some(function (f) { return paused.indexOf(f) >= 0; });
  }

  // The overlay or banner, drawn with the DOM only (the message is text, never HTML).
  function show(state, features) {
    var doc = global.document;
    if (!doc || !doc.body) return;
    var old = doc.getElementById("brb-maintenance") || doc.getElementById("brb-banner");
    if (old) old.parentNode.removeChild(old);
    if (!state) return;
    var full = covers(state.paused, features);
    var box = doc.createElement("div");
    box.id = full ? "brb-maintenance" : "brb-banner";
    box.setAttribute("role", full ? "alertdialog" : "status");
    box.style.cssText = full
      ? "position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;" +
        "justify-content:center;background:#fff;color:#222;font:20px/1.4 system-ui,sans-serif;" +
        "padding:2em;text-align:center"
      : "position:fixed;left:0;right:0;top:0;z-index:2147483647;background:#fff3cd;" +
        "color:#222;font:15px/1.4 system-ui,sans-serif;padding:.6em 1em;text-align:center";
    var text = doc.createElement("p");
    text.textContent = state.message ||
      (full ? "We are fixing a problem. Your streak is safe; please come back soon."
            : "Paused for a moment: " + state.paused.join(", ") + ".");
    box.appendChild(text);
    doc.body.appendChild(box);
  }

  function start(options) {
    var o = {}, k;
    for (k in DEFAULTS) o[k] = DEFAULTS[k];
    for (k in options || {}) o[k] = options[k];
    var url, failures = 0, state = null, timer = null, stopped = false;
    try { url = pollUrl(o); } catch (e) { url = null; }
    if (!url || decimalId(o.learnerId) === null) return { stop: function () {} };

    function changed(next) {
      var same = JSON.stringify(next) === JSON.stringify(state);
      state = next;
      if (same) return;
      show(state, o.features);
      if (typeof o.onChange === "function") {
        try { o.onChange(state); } catch (e) { /* the app's callback is the app's */ }
      }
    }

    function delay() {
      if (failures === 0) return o.interval * (0.8 + 0.4 * Math.random());
      var ceiling = Math.min(o.interval * Math.pow(2, Math.min(failures, 20)), o.maxBackoff);
      return ceiling * (0.5 + 0.5 * Math.random());
    }

    function next(paused, failed) {
      failures = failed ? failures + 1 : 0;
      changed(paused);
      if (!stopped) timer = setTimeout(poll, delay());
    }

    function poll() {
      var abort = typeof AbortController === "function" ? new AbortController() : null;
      var guard = setTimeout(function () { if (abort) abort.abort(); }, o.timeout);
      var done = false;
      function finish(paused, failed) {
        if (done) return;
        done = true;
        clearTimeout(guard);
        next(paused, failed);
      }
      // A timeout without AbortController still ends the poll.
      setTimeout(function () { finish(null, true); }, o.timeout + 50);
      try {
        fetch(url, { cache: "no-cache", credentials: "omit", redirect: "error",
                     signal: abort ? abort.signal : undefined })
          .then(function (r) {
            if (r.status === 404 || r.status === 403) return finish(null, false);
            if (r.status !== 200) return finish(null, true);
            return r.text().then(function (text) {
              var n = notice(text);
              finish(n, n === null);
            });
          })
          .catch(function () { finish(null, true); });
      } catch (e) {
        finish(null, true);
      }
    }

    poll();
    return {
      stop: function () { stopped = true; clearTimeout(timer); changed(null); },
      state: function () { return state; },
    };
  }

  global.BigRedButton = { start: start, cohort: cohort, cohortKey: cohortKey, pollUrl: function (o) {
    var full = {}, k;
    for (k in DEFAULTS) full[k] = DEFAULTS[k];
    for (k in o || {}) full[k] = o[k];
    return pollUrl(full);
  } };
})(typeof window !== "undefined" ? window : this);
