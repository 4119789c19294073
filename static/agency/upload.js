// Upload with a progress bar (bytes sent), then follow the load job until it ends: a loaded file opens its
// version, one that needs a mapping opens the mapping step. The job page follows its job the same way.
(function () {
  "use strict";

  function follower(words, bar, status) {
    function show(text, fraction) {
      status.textContent = text;
      bar.hidden = false;
      bar.value = fraction;
    }

    function follow(url, jobUrl, layerUrl, onFailed) {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (job) {
          if (job.state === "done") {
            window.location = layerUrl + "/versions/" + job.report.version;
          } else if (job.state === "needs_mapping") {
            window.location = jobUrl + "/mapping";
          } else if (job.state === "failed") {
            onFailed(job);
          } else {
            show(words[job.state] + " " + Math.round(job.progress * 100) + "%", job.progress);
            setTimeout(function () { follow(url, jobUrl, layerUrl, onFailed); }, 1000);
          }
        });
    }

    return {show: show, follow: follow};
  }

  function errorText(body, lang) {
    var messages = (body && (body.messages || (body.error && body.error.messages))) || {};
    return messages[lang] || messages.vi || "";
  }

  var job = document.getElementById("job");
  if (job && (job.dataset.state === "queued" || job.dataset.state === "running")) {
    follower(job.dataset, document.getElementById("upload-progress"), document.getElementById("upload-status"))
      .follow(job.dataset.statusUrl, job.dataset.jobUrl, job.dataset.layerUrl, function () { window.location.reload(); });
  }

  var form = document.getElementById("upload");
  if (!form) return;
  var words = form.dataset;
  var status = document.getElementById("upload-status");
  var tracker = follower(words, document.getElementById("upload-progress"), status);

  function failed(text, jobUrl) {
    status.textContent = words.failed + ": " + text + " ";
    status.className = "error";
    if (jobUrl) {
      var link = document.createElement("a");
      link.href = jobUrl;
      link.textContent = words.details;
      status.appendChild(link);
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) tracker.show(words.uploading + " " + Math.round(100 * e.loaded / e.total) + "%", e.loaded / e.total);
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 202) {
        tracker.show(words.queued, 0);
        tracker.follow(body.status_url, body.job_url, body.layer_url, function (job) {
          failed(errorText(job, words.lang), body.job_url);
        });
      } else {
        failed(errorText(body, words.lang));
      }
    });
    xhr.send(new FormData(form));
  });
})();
