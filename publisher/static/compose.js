/* Compose page enhancements: live per-channel preview with character counts, and the event
   fieldset shown only for events. Everything works without this file: the "Preview" button
   renders the same previews on the server (drafts.content.channel_text). */
(function () {
  "use strict";

  var form = document.getElementById("draft-form");
  var section = document.getElementById("preview");
  if (!form || !section) { return; }

  var URL_RE = /https?:\/\/[^\s<>"]+/gi;

  /* Markdown to plain text, close to drafts.content.plain_text. */
  function plainText(md) {
    var text = (md || "").replace(/\r\n?/g, "\n");
    text = text.replace(/!\[[^\]]*\]\([^)]*\)/g, "");
    text = text.replace(/\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g, function (_m, label, href) {
      return label === href ? href : label + " (" + href + ")";
    });
    text = text.replace(/^ {0,3}#{1,6}\s+/gm, "");
    text = text.replace(/^ {0,3}>\s?/gm, "");
    text = text.replace(/^\s*(?:[-*+]|\d+[.)])\s+/gm, "• ");
    text = text.replace(/^ {0,3}(?:-{3,}|\*{3,}|_{3,})\s*$/gm, "");
    text = text.replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, "$2");
    text = text.replace(/(\*|_)(?=\S)([\s\S]*?\S)\1/g, "$2");
    text = text.replace(/`([^`]*)`/g, "$1");
    text = text.replace(/[ \t]+$/gm, "");
    return text.replace(/\n{3,}/g, "\n\n").trim();
  }

  function value(name) {
    var field = form.elements.namedItem(name);
    return field && typeof field.value === "string" ? field.value : "";
  }

  /* The exact text a channel gets: its own text if given, else title + text + link. */
  function channelText(channel) {
    var variant = value("variant_" + channel).trim();
    if (variant) { return variant; }
    var body = plainText(value("body"));
    var parts = [value("title").trim(), body];
    var link = value("link").trim();
    if (link && body.indexOf(link) === -1) { parts.push(link); }
    return parts.filter(function (p) { return p; }).join("\n\n");
  }

  function isLight(cp) {
    return cp <= 0x10FF || (cp >= 0x2000 && cp <= 0x200D) || (cp >= 0x2010 && cp <= 0x201F) ||
      (cp >= 0x2032 && cp <= 0x2037);
  }

  /* X's weighted length, approximately: a URL counts 23, characters outside the light
     ranges count 2. The server checks exactly before anything is published. */
  function xLength(text) {
    var normal = text.normalize ? text.normalize("NFC") : text;
    var urls = normal.match(URL_RE) || [];
    var rest = normal.replace(URL_RE, "");
    var total = urls.length * 23;
    Array.from(rest).forEach(function (ch) { total += isLight(ch.codePointAt(0)) ? 1 : 2; });
    return total;
  }

  function measure(channel, text) {
    return channel === "x" ? xLength(text) : Array.from(text.normalize ? text.normalize("NFC") : text).length;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, key) { return String(values[key]); });
  }

  function chosenChannels() {
    var chosen = {};
    form.querySelectorAll('input[name="channels"]').forEach(function (box) {
      chosen[box.value] = box.checked;
    });
    return chosen;
  }

  function updatePreview() {
    var chosen = chosenChannels();
    var any = false;
    section.querySelectorAll(".preview[data-channel]").forEach(function (box) {
      var channel = box.getAttribute("data-channel");
      var text = channelText(channel);
      var length = measure(channel, text);
      var limit = parseInt(box.getAttribute("data-limit"), 10);
      var count = box.querySelector("[data-count]");
      var label;
      if (limit) {
        label = fill(section.getAttribute("data-t-limit"), { n: length, limit: limit });
        if (length > limit) {
          label += " — " + fill(section.getAttribute("data-t-over"), { n: length - limit });
        }
      } else {
        label = fill(section.getAttribute("data-t-nolimit"), { n: length });
      }
      box.querySelector("[data-preview-text]").textContent = text;
      if (count.textContent !== label) { count.textContent = label; }
      count.classList.toggle("over", Boolean(limit) && length > limit);
      box.hidden = !chosen[channel];
      any = any || Boolean(chosen[channel]);
    });
    var none = section.querySelector("[data-no-channels]");
    if (none) { none.hidden = any; }
  }

  var eventFields = document.getElementById("event-fields");

  function updateKind() {
    if (!eventFields) { return; }
    var kind = form.querySelector('input[name="kind"]:checked');
    var hasErrors = eventFields.querySelector(".field-error") !== null;
    eventFields.hidden = !hasErrors && (!kind || kind.value !== "event");
  }

  /* Update at once (no debounce): a late update would move the buttons below the preview
     just as someone clicks them. */
  form.addEventListener("input", updatePreview);
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "kind") { updateKind(); }
    updatePreview();
  });
  updateKind();
  updatePreview();
})();
