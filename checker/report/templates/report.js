/* Filtering and sorting. The page is complete without this script; it only hides rows and reorders them.
   Filters (status, severity, control, environment, and source when the report has template and live
   results) are kept in the address fragment (report.html#status=FAIL&environment=prod), so a filtered
   view can be linked to, and opening such a link applies it. So is the sort order of the result tables:
   #sort=resource sorts them by that column, #sort=-resource in descending order. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var note = document.getElementById("filter-note");
  var shown = document.getElementById("shown");
  var fields = Array.prototype.map.call(form.querySelectorAll("select"), function (select) { return select.name; });
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-filterable]"));
  var results = Array.prototype.slice.call(document.querySelectorAll("#checks [data-status]"));
  var sorting = "";  // a column name, with a leading "-" for descending order

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
    var filters = new URLSearchParams(values).toString();
    var query = new URLSearchParams(Object.assign({}, values, sorting ? { sort: sorting } : {})).toString();
    shown.textContent = count + " of " + results.length + " results shown";
    note.hidden = !filters;
    note.textContent = filters ? "Filtered view: " + filters.replace(/&/g, ", ") : "";
    history.replaceState(null, "", query ? "#" + query : location.pathname + location.search);
  }

  function fromFragment() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    sorting = params.get("sort") || "";
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
    return ascending;
  }

  function columnName(header) {
    return header.textContent.trim().toLowerCase();
  }

  function sortTables() {
    var descending = sorting.charAt(0) === "-";
    var name = sorting.replace(/^-/, "").toLowerCase();
    document.querySelectorAll("table[data-sortable]").forEach(function (table) {
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
        if (name && columnName(header) === name) {
          header.setAttribute("aria-sort", descending ? "ascending" : "descending");  // sortBy turns it round
          sortBy(table, header);
        }
      });
    });
  }

  function sortByHeader(table, header) {
    sorting = (sortBy(table, header) ? "" : "-") + columnName(header);
    apply();
  }

  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
      header.className += " sortable";
      header.tabIndex = 0;
      header.title = "Sort by " + header.textContent.toLowerCase();
      header.addEventListener("click", function () { sortByHeader(table, header); });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortByHeader(table, header); }
      });
    });
  });

  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  window.addEventListener("hashchange", function () { fromFragment(); sortTables(); apply(); });
  form.hidden = false;
  fromFragment();
  sortTables();
  apply();
}());
