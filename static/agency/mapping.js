// The mapping step: show a column's unknown values only while that column is chosen for their field (without
// this script every list shows, each saying which column and field it is for).
(function () {
  "use strict";
  var form = document.getElementById("mapping");
  if (!form) return;
  var lists = form.querySelectorAll("fieldset.values");

  function update() {
    lists.forEach(function (list) {
      var select = document.getElementById("column-" + list.dataset.column);
      list.hidden = !select || select.value !== list.dataset.field;
    });
  }

  form.querySelectorAll("select.column-field").forEach(function (select) {
    select.addEventListener("change", update);
  });
  update();
})();
