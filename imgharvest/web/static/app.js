// imgharvest pages: time zone, no past dates, inline field errors, live job page. No dependencies.
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }
  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }
  function nowTime() {
    var d = new Date();
    return pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }

  function setError(form, name, message) {
    var input = form.elements[name];
    var box = form.querySelector('[data-error-for="' + name + '"]');
    if (input && input.classList) {
      input.classList.toggle("is-invalid", Boolean(message));
      if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    }
    if (box) {
      box.textContent = message ? message.charAt(0).toUpperCase() + message.slice(1) + "." : "";
      box.classList.toggle("d-block", Boolean(message));
    }
  }

  // The same rules as the server (imgharvest/service/schemas.py); the server stays the judge.
  function startsNow(form) {
    var now = form.elements["start-now"];
    return Boolean(now && now.checked);
  }

  function checkWhen(form, optional) {
    var date = form.elements.date, time = form.elements.time, errors = {};
    if (!date || !time || startsNow(form)) { return errors; }
    if (optional && !date.value && !time.value) { return errors; }
    if (!date.value) { errors.date = "date is required"; }
    if (!time.value) { errors.time = "time is required"; }
    if (date.value && date.value < today()) { errors.date = "date/time is in the past"; }
    else if (date.value === today() && time.value && time.value < nowTime()) {
      errors.time = "date/time is in the past";
    }
    return errors;
  }

  function checkForm(form) {
    var crawl = form.elements.kind && form.elements.kind.value === "crawl";
    var errors = checkWhen(form, crawl), el = form.elements;
    var max = el.images ? Number(el.images.max) : 0;
    if (!crawl && el["search-query"] && !el["search-query"].value.trim()) {
      errors["search-query"] = "search query is required";
    }
    if (crawl && el.urls && !el.urls.value.trim()) { errors.urls = "page URLs are required (one per line)"; }
    if (el.email) {
      var email = el.email.value.trim();
      if (!email && !crawl) { errors.email = "email is required"; }
      else if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) { errors.email = "email is invalid"; }
    }
    if (el.images) {
      var raw = el.images.value.trim(), n = Number(raw);
      if (!raw) { if (!crawl) { errors.images = "number of images is required"; } }
      else if (!Number.isInteger(n)) { errors.images = "number of images must be a whole number"; }
      else if (n < 1) { errors.images = "number of images must be greater than 0"; }
      else if (max && n > max) { errors.images = "number of images cannot be greater than " + max; }
    }
    return errors;
  }

  function showErrors(form, errors) {
    ["search-query", "urls", "date", "time", "email", "images"].forEach(function (name) {
      setError(form, name, errors[name] || "");
    });
  }

  function initForm(form) {
    var zone = browserZone(), tz = form.elements.tz, date = form.elements.date;
    if (tz && !tz.value && zone) { tz.value = zone; }
    form.querySelectorAll("[data-tz-label]").forEach(function (el) { el.textContent = tz && tz.value || zone || el.textContent; });
    if (date) { date.min = today(); }
    function refreshTimeMin() {
      if (form.elements.time) { form.elements.time.min = date && date.value === today() ? nowTime() : ""; }
    }
    refreshTimeMin();
    // "Start now" replaces date and time: they are disabled (and not sent) while it is on.
    var now = form.elements["start-now"];
    function refreshNow() {
      if (!now) { return; }
      [form.elements.date, form.elements.time].forEach(function (input) {
        if (!input) { return; }
        input.disabled = now.checked;
        input.required = !now.checked;
      });
    }
    if (now) { now.addEventListener("change", refreshNow); refreshNow(); }
    var touched = false;
    form.addEventListener("input", function () {
      refreshTimeMin();
      if (touched) { showErrors(form, checkForm(form)); }
    });
    form.addEventListener("submit", function (event) {
      touched = true;
      var errors = checkForm(form);
      showErrors(form, errors);
      if (Object.keys(errors).length) {
        event.preventDefault();
        var first = form.querySelector(".is-invalid");  // first in reading order
        if (first) { first.focus(); }
      }
    });
  }

  function localTimes(root) {
    root.querySelectorAll("time[data-local-time]").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime())) { return; }
      el.title = el.getAttribute("datetime");
      el.textContent = el.hasAttribute("data-time-only")
        ? at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
        : at.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    });
  }

  // The job page asks the API for the job's state at once, then again after a pause that starts
  // short and grows while nothing changes; a change swaps in the fresh live part, and the end
  // of the job reloads the page (to show the gallery and the download). So a job that is done
  // in two seconds is never left showing "Scheduled".
  var POLL_FIRST = 500, POLL_MAX = 5000, POLL_GROWTH = 1.5, POLL_ERROR_MAX = 30000;
  function initJob(job) {
    var live = document.getElementById("job-live"), last = null, delay = POLL_FIRST;
    var finalStates = ["done", "short", "failed", "cancelled", "expired"];
    function statusOf(text) {
      try { return JSON.parse(text).status || ""; } catch (e) { return ""; }
    }
    function refresh() {
      return fetch(job.dataset.liveUrl, { headers: { Accept: "text/html" }, cache: "no-store" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) { live.innerHTML = html; localTimes(live); } });
    }
    function poll() {
      fetch(job.dataset.apiUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (text) {
          if (finalStates.indexOf(statusOf(text)) >= 0) { window.location.reload(); return "end"; }
          if (text && text === last) { delay = Math.min(delay * POLL_GROWTH, POLL_MAX); return null; }
          last = text;
          delay = POLL_FIRST;
          return refresh();
        })
        .catch(function () { delay = Math.min(delay * 2, POLL_ERROR_MAX); })
        .then(function (state) { if (state !== "end") { window.setTimeout(poll, delay); } });
    }
    if (job.dataset.active === "true") { poll(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-job-form]").forEach(initForm);
    localTimes(document);
    var job = document.getElementById("job");
    if (job) { initJob(job); }
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
