// Copy the Citatboks text (an extra: without JavaScript the text can be selected and copied).
(function () {
  var button = document.getElementById("copy-citatboks");
  var text = document.getElementById("citatboks-text");
  var status = document.getElementById("copy-status");
  if (!button || !text || !navigator.clipboard) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(text.value).then(function () {
      status.textContent = button.getAttribute("data-done") || "✓";
    });
  });
})();
