// Drag and drop on the calendar: dropping an item on a day fills in and submits the same move
// form the page uses without JavaScript (same time of day, new date). The server checks
// everything and answers with the calendar and a message, exactly as for the form.
(function () {
  "use strict";
  var form = document.getElementById("drag-move");
  var status = document.getElementById("drag-status");
  if (!form) { return; }
  var dragged = null;
  document.querySelectorAll(".cal-item[draggable='true']").forEach(function (item) {
    item.addEventListener("dragstart", function (event) {
      dragged = item;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.moveUrl);
    });
    item.addEventListener("dragend", function () { dragged = null; });
  });
  document.querySelectorAll(".cal-grid td[data-day]").forEach(function (cell) {
    cell.addEventListener("dragover", function (event) {
      if (dragged) { event.preventDefault(); cell.classList.add("drop-target"); }
    });
    cell.addEventListener("dragleave", function () { cell.classList.remove("drop-target"); });
    cell.addEventListener("drop", function (event) {
      event.preventDefault();
      cell.classList.remove("drop-target");
      if (!dragged) { return; }
      form.action = dragged.dataset.moveUrl;
      form.elements.date.value = cell.dataset.day;
      form.elements.time.value = dragged.dataset.time;
      if (status) { status.textContent = dragged.dataset.title + " → " + cell.dataset.day; }
      form.submit();
    });
  });
})();
