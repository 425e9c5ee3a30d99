/* potion.contrib.admin: small progressive enhancements; every page works without them. */
(function () {
  "use strict";

  // The filter row: offer only the operators of the chosen field, and an input of its type.
  function fitFilterRow() {
    var field = document.getElementById("filter-field");
    var op = document.getElementById("filter-op");
    var value = document.getElementById("filter-value");
    if (!field || !op || !value) { return; }
    function update() {
      var chosen = field.options[field.selectedIndex];
      if (!chosen) { return; }
      var ops = (chosen.getAttribute("data-ops") || "").split(" ");
      var firstAllowed = null;
      for (var i = 0; i < op.options.length; i++) {
        var option = op.options[i];
        var allowed = ops.indexOf(option.value) !== -1;
        option.disabled = !allowed;
        option.hidden = !allowed;
        if (allowed && firstAllowed === null) { firstAllowed = option; }
      }
      if (op.selectedOptions.length && op.selectedOptions[0].disabled && firstAllowed) {
        firstAllowed.selected = true;
      }
      var type = chosen.getAttribute("data-type") || "text";
      var many = op.value === "in" || op.value === "between";
      value.type = many ? "text" : type;
      var suggestions = document.getElementById("filter-suggestions");
      if (suggestions) {
        suggestions.textContent = "";
        var values = [];
        try { values = JSON.parse(chosen.getAttribute("data-suggest") || "[]"); } catch (e) { values = []; }
        values.forEach(function (text) {
          var option = document.createElement("option");
          option.value = text;
          suggestions.appendChild(option);
        });
      }
    }
    field.addEventListener("change", update);
    op.addEventListener("change", update);
    update();
  }

  // A filter box above a long select of items: hides the options that do not match.
  function filterBoxes() {
    var boxes = document.querySelectorAll("input.choice-filter[data-filters]");
    Array.prototype.forEach.call(boxes, function (box) {
      var select = document.getElementById(box.getAttribute("data-filters"));
      if (!select || select.options.length < 8) { return; }
      box.hidden = false;
      box.addEventListener("input", function () {
        var text = box.value.trim().toLowerCase();
        Array.prototype.forEach.call(select.options, function (option) {
          var match = !text || option.value === "" || option.selected ||
            option.text.toLowerCase().indexOf(text) !== -1;
          option.hidden = !match;
        });
      });
    });
  }

  // Move the focus to the error summary after a refused form, so it is read out.
  function focusErrors() {
    var summary = document.getElementById("form-errors");
    if (summary) {
      summary.setAttribute("tabindex", "-1");
      summary.focus();
    }
  }

  // The filter panel is a <details>: the page opens it when a filter or a search is on;
  // on screens wider than a phone it stays open.
  function filterPanel() {
    var panel = document.querySelector("details.filter-panel");
    if (!panel || !window.matchMedia) { return; }
    var wide = window.matchMedia("(min-width: 600px)");
    function fit() { if (wide.matches) { panel.open = true; } }
    if (wide.addEventListener) { wide.addEventListener("change", fit); }
    fit();
  }

  document.addEventListener("DOMContentLoaded", function () {
    filterPanel();
    fitFilterRow();
    filterBoxes();
    focusErrors();
  });
})();
