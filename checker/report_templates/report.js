/* Filtering and sorting. The page is complete without this script; it only hides rows and reorders them.
   Filters (status, severity, control, environment, and source when the report has template and live
   results) are kept in the address fragment (report.html#status=FAIL&environment=prod), so a filtered
   view can be linked to, and opening such a link applies it. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var note = document.getElementById("filter-note");
  var shown = document.getElementById("shown");
  var fields = Array.prototype.map.call(form.querySelectorAll("select"), function (select) { return select.name; });
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-filterable]"));
  var results = Array.prototype.slice.call(document.querySelectorAll("#checks [data-status]"));

  function chosen() {
    var values = {};
    fields.forEach(function (name) {
      var value = form.elements[name].value;
      if (value) { values[name] = value; }
    });
    return values;
  }

  function matches(row, values) {
    return Object.keys(values).every(function (name) {
      var have = row.getAttribute("data-" + name);
      return have === null || have === values[name];
    });
  }

  function apply() {
    var values = chosen();
    var count = 0;
    rows.forEach(function (row) {
      row.hidden = !matches(row, values);
      if (!row.hidden && results.indexOf(row) >= 0) { count += 1; }
    });
    document.querySelectorAll("[data-group]").forEach(function (group) {
      group.hidden = !group.querySelector("[data-filterable]:not([hidden])");
    });
    var query = new URLSearchParams(values).toString();
    shown.textContent = count + " of " + results.length + " results shown";
    note.hidden = !query;
    note.textContent = query ? "Filtered view: " + query.replace(/&/g, ", ") : "";
    history.replaceState(null, "", query ? "#" + query : location.pathname + location.search);
  }

  function fromFragment() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    fields.forEach(function (name) {
      var select = form.elements[name];
      select.value = params.get(name) || "";
      if (select.selectedIndex < 0) { select.value = ""; }
    });
  }

  function sortKey(row, column) {
    var cell = row.cells[column];
    var key = cell.getAttribute("data-sort");
    return key !== null ? Number(key) : cell.textContent.trim().toLowerCase();
  }

  function sortBy(table, header) {
    var column = header.cellIndex;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var ordered = Array.prototype.slice.call(body.rows).map(function (row, index) {
      return { row: row, key: sortKey(row, column), index: index };
    });
    ordered.sort(function (a, b) {
      var order = a.key < b.key ? -1 : a.key > b.key ? 1 : a.index - b.index;
      return ascending ? order : -order;
    });
    ordered.forEach(function (item) { body.appendChild(item.row); });
  }

  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
      header.className += " sortable";
      header.tabIndex = 0;
      header.title = "Sort by " + header.textContent.toLowerCase();
      header.addEventListener("click", function () { sortBy(table, header); });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, header); }
      });
    });
  });

  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  window.addEventListener("hashchange", function () { fromFragment(); apply(); });
  form.hidden = false;
  fromFragment();
  apply();
}());
