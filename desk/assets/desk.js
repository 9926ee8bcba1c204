/* desk.js — what JavaScript adds to the desk's pages (they all work without it): upload
 * progress for file forms, and recording a lesson in the browser (MediaRecorder) where the
 * browser allows it (https, or the station's own computer). */
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }

  /* Replace <main> with the <main> of an HTML answer (an error page of the desk). */
  function showAnswer(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var m = doc.querySelector("main"), here = document.querySelector("main");
    if (m && here) { here.replaceWith(document.adoptNode(m)); window.scrollTo(0, 0); }
  }

  function uploadWithProgress(form) {
    form.addEventListener("submit", function (ev) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      ev.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var status = form.querySelector(".progress-status");
      if (!status) {
        status = el("p", { "class": "progress-status", role: "status" });
        var bar = el("progress", { "class": "progress", max: "100", value: "0" });
        form.appendChild(bar);
        form.appendChild(status);
      }
      var progress = form.querySelector("progress.progress");
      if (button) button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round(100 * e.loaded / e.total);
        progress.value = pct;
        status.textContent = "Sending… " + pct + "%";
      };
      xhr.onload = function () {
        /* a redirect (303) leads to a page of its own: go there; any other answer is a page
         * for this form (a check result, a refusal): show it here */
        var redirected = xhr.responseURL && xhr.responseURL !== form.action;
        if (xhr.status >= 200 && xhr.status < 300 && redirected) { window.location = xhr.responseURL; return; }
        if (button) button.disabled = false;
        showAnswer(xhr.responseText);
      };
      xhr.onerror = function () {
        if (button) button.disabled = false;
        status.textContent = "The upload was cut off (is the Wi-Fi still there?). Please try again.";
      };
      status.textContent = "Sending…";
      xhr.send(new FormData(form));
    });
  }

  function setupRecorder(box) {
    var input = document.getElementById(box.getAttribute("data-for"));
    if (!input) return;
    if (!navigator.mediaDevices || !window.MediaRecorder || !window.DataTransfer) {
      if (!window.isSecureContext) {
        box.hidden = false;
        box.appendChild(el("p", { "class": "hint" },
          "To record here instead of choosing a file, the station must run the desk over https. " +
          "You can still record with your phone's recorder app and choose the file."));
      }
      return;
    }
    var types = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/mp4", "audio/webm"];
    var type = "";
    for (var i = 0; i < types.length; i++) if (MediaRecorder.isTypeSupported(types[i])) { type = types[i]; break; }
    var start = el("button", { type: "button", "class": "record" }, "Record here");
    var stop = el("button", { type: "button", "class": "stop", disabled: "" }, "Stop");
    var clock = el("span", { role: "timer", "aria-live": "off" }, "");
    var preview = el("audio", { controls: "" });
    preview.hidden = true;
    box.appendChild(start); box.appendChild(stop); box.appendChild(clock); box.appendChild(preview);
    box.hidden = false;
    var rec = null, chunks = [], t0 = 0, timer = null;
    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        chunks = [];
        rec = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
        rec.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
        rec.onstop = function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          clearInterval(timer);
          var mime = rec.mimeType || type || "audio/webm";
          var ext = mime.indexOf("ogg") >= 0 ? ".ogg" : mime.indexOf("mp4") >= 0 ? ".m4a" : ".webm";
          var file = new File(chunks, "recording" + ext, { type: mime.split(";")[0] });
          var dt = new DataTransfer();
          dt.items.add(file);
          input.files = dt.files;
          preview.src = URL.createObjectURL(file);
          preview.hidden = false;
          clock.textContent = "Recorded " + clock.textContent + ": listen, then press Upload.";
          start.disabled = false; stop.disabled = true;
          start.textContent = "Record again";
        };
        rec.start(1000);
        t0 = Date.now();
        timer = setInterval(function () {
          var s = Math.round((Date.now() - t0) / 1000);
          clock.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
        }, 500);
        start.disabled = true; stop.disabled = false; preview.hidden = true;
      }).catch(function () {
        clock.textContent = "The microphone could not be used (allow it in the browser, or choose a file).";
      });
    });
    stop.addEventListener("click", function () { if (rec && rec.state !== "inactive") rec.stop(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form.upload");
    for (var i = 0; i < forms.length; i++) uploadWithProgress(forms[i]);
    var boxes = document.querySelectorAll(".recorder[data-for]");
    for (var j = 0; j < boxes.length; j++) setupRecorder(boxes[j]);
  });
})();
