// Upload with a progress bar (bytes sent), then follow the load job until it ends.
(function () {
  "use strict";
  var form = document.getElementById("upload");
  if (!form) return;
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var words = form.dataset;

  function show(text, fraction) {
    status.textContent = text;
    bar.hidden = false;
    bar.value = fraction;
  }

  function errorText(body) {
    var messages = (body && (body.messages || (body.error && body.error.messages))) || {};
    return messages[words.lang] || messages.vi || "";
  }

  function follow(url, layerUrl) {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (job) {
        show(words[job.state] + " " + Math.round(job.progress * 100) + "%", job.progress);
        if (job.state === "done") {
          window.location = layerUrl + "/versions/" + job.report.version;
        } else if (job.state === "failed") {
          status.textContent = words.failed + ": " + errorText(job);
          status.className = "error";
        } else {
          setTimeout(function () { follow(url, layerUrl); }, 1000);
        }
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) show(words.uploading + " " + Math.round(100 * e.loaded / e.total) + "%", e.loaded / e.total);
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 202) {
        show(words.queued, 0);
        follow(body.status_url, body.layer_url);
      } else {
        status.textContent = words.failed + ": " + errorText(body);
        status.className = "error";
      }
    });
    xhr.send(new FormData(form));
  });
})();
