// The statistics dashboard (统计). Every figure comes from the statistics API (/api/v1/stats/), read with the
// session cookie and GET only; the page hands over the API's addresses and the link's parameters as data-*
// attributes. Labels from the data (areas, units, indicators) go in with textContent, and are HTML-escaped where
// ECharts renders HTML (tooltips). Charts by Apache ECharts from /static/vendor/echarts.min.js.
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root) {
    return;
  }
  var echarts = window.echarts || null;

  var AREA_LENGTHS = [2, 4, 6, 9, 12];
  var UNIT_CUT_MAX_LENGTH = 6;
  var LEVEL_NAMES = { province: "省（区）", prefecture: "地市", county: "县（区）", township: "乡镇（街道）", village: "村（居）" };
  var CATEGORY_COLORS = {
    propaganda: "#8c1d18",
    party_building: "#c2410c",
    development: "#15803d",
    livelihood: "#1d4ed8",
    benefit_policy: "#7c3aed",
    poverty: "#b45309",
    stability: "#0f766e",
  };
  var ACCENT = "#8c1d18";
  var HEADLINES_PER_CATEGORY = 2;
  var TOP_UNITS = 15;
  var UNITS_LIMIT = 200;

  // -- numbers in Chinese conventions ---------------------------------------------------------------------------

  function groupDigits(text) {
    var negative = text.charAt(0) === "-";
    var parts = (negative ? text.slice(1) : text).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + whole + (parts.length > 1 ? "." + parts[1] : "");
  }

  // The exact figure, grouped: "31234" → "31,234", "1101.25" → "1,101.25"; null → "—".
  function fullNumber(value) {
    if (value === null || value === undefined || value === "") {
      return "—";
    }
    return groupDigits(String(value));
  }

  // 3.1万 / 1.1亿 (truncated, never rounded up; `approx` adds 余 when something was cut off, as bulletins say
  // "3.1万余次"); below 10,000 the exact figure.
  function shortNumber(value, approx) {
    if (value === null || value === undefined || value === "") {
      return "—";
    }
    var number = Number(value);
    if (!isFinite(number)) {
      return String(value);
    }
    var steps = [
      [1e8, "亿"],
      [1e4, "万"],
    ];
    for (var i = 0; i < steps.length; i++) {
      var size = steps[i][0];
      if (Math.abs(number) >= size) {
        var shown = Math.floor((number / size) * 10 + 1e-9) / 10;
        var text = shown.toFixed(1).replace(/\.0$/, "") + steps[i][1];
        return approx && shown * size < number ? text + "余" : text;
      }
    }
    return fullNumber(number % 1 === 0 ? String(Math.trunc(number)) : String(value));
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : value + "%";
  }

  function monthLabel(month) {
    var parts = month.split("-");
    return parts[0] + "年" + Number(parts[1]) + "月";
  }

  // Months before anything was reported (a batch not started yet) are left off the charts' start.
  function fromFirstFigure(points, hasFigure) {
    for (var i = 0; i < points.length; i++) {
      if (hasFigure(points[i])) {
        return points.slice(i);
      }
    }
    return points.slice(-1);
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // -- the DOM ----------------------------------------------------------------------------------------------------

  function find(role) {
    return root.querySelector('[data-role="' + role + '"]');
  }

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  function option(value, label, selected) {
    var node = make("option", null, label);
    node.value = value;
    if (selected) {
      node.selected = true;
    }
    return node;
  }

  function cell(row, text, className) {
    var node = make("td", className || null, text);
    row.appendChild(node);
    return node;
  }

  // -- state and the address bar ----------------------------------------------------------------------------------

  var PARAMS = { area: "area", kind: "kind", period: "period", batch: "batch", unit: "unit", unitLevel: "unit_level" };
  var state = {};
  var options = null;
  var charts = {};
  var generation = 0;
  var latestMonth = null;

  function readState() {
    var query = new URLSearchParams(window.location.search);
    var initial = root.dataset;
    state = {
      area: query.get("area") || initial.initialArea || "",
      kind: query.get("kind") || initial.initialKind || "",
      period: query.get("period") || initial.initialPeriod || "",
      batch: query.get("batch") || initial.initialBatch || "",
      unit: query.get("unit") || initial.initialUnit || "",
      unitLevel: query.get("unit_level") || initial.initialUnitlevel || "",
      rankIndicator: query.get("indicator") || initial.initialIndicator || "",
      trendIndicator: state.trendIndicator || "",
    };
  }

  function stateQuery(extra) {
    var query = new URLSearchParams();
    Object.keys(PARAMS).forEach(function (key) {
      if (state[key]) {
        query.set(PARAMS[key], state[key]);
      }
    });
    Object.keys(extra || {}).forEach(function (key) {
      if (extra[key]) {
        query.set(key, extra[key]);
      }
    });
    return query;
  }

  function writeUrl(push) {
    var query = stateQuery({ indicator: state.rankIndicator });
    var url = window.location.pathname + (query.toString() ? "?" + query.toString() : "");
    if (push) {
      window.history.pushState(null, "", url);
    } else {
      window.history.replaceState(null, "", url);
    }
  }

  function areaLink(code) {
    var query = stateQuery({ indicator: state.rankIndicator });
    query.set("area", code);
    return window.location.pathname + "?" + query.toString();
  }

  // -- the API ------------------------------------------------------------------------------------------------------

  function errorText(body, status) {
    if (body && typeof body === "object") {
      if (body.detail) {
        return String(body.detail);
      }
      var messages = [];
      Object.keys(body).forEach(function (key) {
        var value = body[key];
        messages.push(Array.isArray(value) ? value.join("") : String(value));
      });
      if (messages.length) {
        return messages.join("；");
      }
    }
    return "统计数据读取失败（" + status + "）。";
  }

  // Requests go one after another: every request also refreshes the session row, and SQLite (the demo) would
  // answer "database table is locked" to several at once. A request whose load was superseded is skipped.
  var queue = Promise.resolve();
  var STALE = new Error("stale");

  function api(name, query, current) {
    var url = root.dataset[name + "Url"] + (query && query.toString() ? "?" + query.toString() : "");
    var request = queue.then(function () {
      if (current !== undefined && current !== generation) {
        throw STALE;
      }
      return send(url);
    });
    queue = request.catch(function () {});
    return request;
  }

  function send(url) {
    return window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (body) {
            if (!response.ok) {
              var error = new Error(errorText(body, response.status));
              error.status = response.status;
              throw error;
            }
            return body;
          });
      });
  }

  var errors = {};

  function showError(part, error) {
    if (error) {
      errors[part] = error.message || String(error);
    } else {
      delete errors[part];
    }
    var box = find("error");
    var messages = Object.keys(errors).map(function (key) {
      return errors[key];
    });
    box.textContent = messages.filter(function (text, index) {
      return messages.indexOf(text) === index;
    }).join(" ");
    box.hidden = messages.length === 0;
  }

  // -- charts -------------------------------------------------------------------------------------------------------

  function chartFor(name, container) {
    if (!echarts) {
      return null;
    }
    var chart = charts[name];
    if (chart && chart.getDom() !== container) {
      chart.dispose();
      chart = null;
    }
    if (!chart) {
      chart = echarts.init(container, null, { renderer: "canvas" });
      charts[name] = chart;
    }
    return chart;
  }

  function dropChart(name) {
    if (charts[name]) {
      charts[name].dispose();
      delete charts[name];
    }
  }

  function axisNumber(value) {
    return shortNumber(value, false);
  }

  // A tooltip line: the label escaped (ECharts renders tooltips as HTML), the exact figure with its unit.
  function tooltipLine(label, value, unit, extra) {
    return (
      "<strong>" + escapeHtml(label) + "</strong><br>" + escapeHtml(fullNumber(value) + (unit || "")) +
      (extra ? "<br>" + escapeHtml(extra) : "")
    );
  }

  // Ranked horizontal bars, the first item at the top. `items`: {name, value, unit, extra}; `onClick(index)`.
  function rankedBars(name, container, items, color, onClick) {
    var chart = chartFor(name, container);
    if (!chart) {
      return;
    }
    container.style.height = Math.max(220, items.length * 26 + 60) + "px";
    chart.resize();
    chart.off("click");
    chart.setOption(
      {
        animation: false,
        grid: { left: 8, right: 56, top: 8, bottom: 24 },
        tooltip: {
          trigger: "item",
          confine: true,
          formatter: function (params) {
            var item = items[params.dataIndex];
            return tooltipLine(item.name, item.value, item.unit, item.extra);
          },
        },
        xAxis: { type: "value", axisLabel: { formatter: axisNumber }, splitNumber: 3 },
        yAxis: {
          type: "category",
          inverse: true,
          data: items.map(function (item) {
            return item.name;
          }),
          axisLabel: { width: 110, overflow: "truncate" },
          axisTick: { show: false },
        },
        series: [
          {
            type: "bar",
            data: items.map(function (item) {
              return Number(item.value || 0);
            }),
            itemStyle: { color: color },
            cursor: onClick ? "pointer" : "default",
            label: {
              show: true,
              position: "right",
              formatter: function (params) {
                return shortNumber(items[params.dataIndex].value, false);
              },
            },
          },
        ],
      },
      true
    );
    if (onClick) {
      chart.on("click", function (params) {
        onClick(params.dataIndex);
      });
    }
  }

  function resizeCharts() {
    Object.keys(charts).forEach(function (name) {
      charts[name].resize();
    });
  }

  // -- pickers ------------------------------------------------------------------------------------------------------

  function periodEnd(kind, month) {
    var parts = month.split("-");
    var year = Number(parts[0]);
    var number = Number(parts[1]);
    if (kind === "quarter") {
      number = Math.ceil(number / 3) * 3;
    } else if (kind === "half") {
      number = number <= 6 ? 6 : 12;
    } else if (kind === "year") {
      number = 12;
    }
    return year + "-" + (number < 10 ? "0" : "") + number;
  }

  function periodLabel(kind, end) {
    var parts = end.split("-");
    var year = parts[0];
    var number = Number(parts[1]);
    if (kind === "quarter") {
      return year + "年第" + "一二三四".charAt(number / 3 - 1) + "季度";
    }
    if (kind === "half") {
      return year + "年" + (number <= 6 ? "上" : "下") + "半年";
    }
    if (kind === "year") {
      return year + "年";
    }
    if (kind === "btd") {
      return "截至" + monthLabel(end);
    }
    return monthLabel(end);
  }

  function fillPeriods(kind, selected, label) {
    var select = find("period");
    select.disabled = kind === "btd";
    if (kind === "btd") {
      // One row per batch, up to this month: nothing to choose.
      clear(select);
      select.appendChild(option(selected || "", label || "截至本月", true));
      return;
    }
    var ends = [];
    (options ? options.months : []).forEach(function (month) {
      var end = periodEnd(kind, month);
      if (ends.indexOf(end) < 0) {
        ends.push(end);
      }
    });
    if (selected && ends.indexOf(selected) < 0) {
      ends.push(selected);
    }
    ends.sort().reverse();
    clear(select);
    if (!ends.length) {
      select.appendChild(option("", "暂无统计数", true));
    }
    ends.forEach(function (end) {
      select.appendChild(option(end, periodLabel(kind, end), end === selected));
    });
  }

  function fillIndicatorSelect(select, indicators, selected) {
    var previous = select.value;
    clear(select);
    var groups = {};
    (options ? options.categories : []).forEach(function (category) {
      var group = make("optgroup");
      group.label = category.label + "（" + category.duty_title + "）";
      groups[category.value] = group;
    });
    indicators.forEach(function (indicator) {
      var node = option(indicator.code, indicator.name + "（" + indicator.unit + "）", indicator.code === selected);
      (groups[indicator.category] || select).appendChild(node);
    });
    Object.keys(groups).forEach(function (key) {
      if (groups[key].children.length) {
        select.appendChild(groups[key]);
      }
    });
    if (!selected && previous) {
      select.value = previous;
    }
  }

  function setUpPickers() {
    var kind = find("kind");
    clear(kind);
    options.kinds.forEach(function (choice) {
      kind.appendChild(option(choice.value, choice.label, false));
    });
    var batch = find("batch");
    options.batches.forEach(function (item) {
      batch.appendChild(option(String(item.id), item.name, false));
    });
    if (options.unit_levels.length) {
      var level = find("unit-level");
      options.unit_levels.forEach(function (choice) {
        level.appendChild(option(choice.value, choice.label, false));
      });
      find("unit-level-field").hidden = false;
    }
    if (options.units.length) {
      var unit = find("unit");
      if (options.unit_levels.length) {
        // A liaison who is also bound to an area may look at all units there.
        unit.appendChild(option("", "全部单位", false));
      }
      options.units.forEach(function (item) {
        unit.appendChild(option(String(item.id), item.name, false));
      });
      find("unit-field").hidden = unit.options.length < 2;
    }
    fillIndicatorSelect(find("trend-indicator"), options.indicators, state.trendIndicator);
    find("completeness-section").hidden = !options.completeness;
    syncPickers(state.kind || options.default_kind, state.period, "");
  }

  function syncPickers(kind, period, label) {
    find("kind").value = kind;
    fillPeriods(kind, period, label);
    find("batch").value = state.batch;
    find("unit-level").value = state.unitLevel;
    if (options.units.length) {
      find("unit").value = state.unit || (options.unit_levels.length ? "" : String(options.units[0].id));
    }
  }

  // -- rendering: totals --------------------------------------------------------------------------------------------

  function describeCut(body) {
    var parts = [body.area.name, body.period.label];
    if (body.period.kind !== "btd") {
      // Batch-to-date names its batch (or 各批次) already.
      parts.push(body.batch ? body.batch.name : "全部批次");
    }
    if (body.unit) {
      parts.push(body.unit.name);
    } else if (body.unit_level_display) {
      parts.push(body.unit_level_display + "单位");
    }
    return parts.join(" · ");
  }

  function freshnessText(freshness) {
    if (!freshness.computed_at) {
      return "暂无统计数（尚无已审核的月报）。";
    }
    // Beijing time whatever the browser's clock says: the region works on Asia/Shanghai.
    var parts = {};
    new Intl.DateTimeFormat("zh-CN", {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hour12: false
    }).formatToParts(new Date(freshness.computed_at)).forEach(function (part) {
      parts[part.type] = part.value;
    });
    return (
      "数据计算于 " + parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute +
      "（北京时间，只计已审核的月报）"
    );
  }

  function renderPath(body) {
    var list = find("path");
    clear(list);
    body.path.forEach(function (area, index) {
      var item = make("li");
      if (index === body.path.length - 1) {
        var current = make("span", null, area.name);
        current.setAttribute("aria-current", "page");
        item.appendChild(current);
      } else {
        var link = make("a", null, area.name);
        link.href = areaLink(area.code);
        link.dataset.area = area.code;
        item.appendChild(link);
      }
      list.appendChild(item);
    });
  }

  function renderUnitChip(body) {
    var chip = find("unit-chip");
    var liaison = options.units.length > 0;
    chip.hidden = !body.unit || liaison;
    find("unit-chip-name").textContent = body.unit ? body.unit.name : "";
  }

  function headlineItems(group) {
    var chosen = group.indicators.slice(0, HEADLINES_PER_CATEGORY);
    group.indicators.forEach(function (item) {
      if (item.value_type === "money" && chosen.indexOf(item) < 0) {
        chosen.push(item);
      }
    });
    return chosen;
  }

  function renderHeadlines(body) {
    var box = find("headlines");
    clear(box);
    body.categories.forEach(function (group) {
      var tile = make("article", "dash-tile dash-cat-" + group.category);
      var head = make("header");
      head.appendChild(make("span", "dash-tile-duty", group.duty_title));
      head.appendChild(make("span", "dash-tile-category", group.label));
      tile.appendChild(head);
      var list = make("ul");
      headlineItems(group).forEach(function (item) {
        var entry = make("li");
        entry.dataset.code = item.code;
        entry.appendChild(make("span", "dash-tile-name", item.name));
        var figure = make("span", "dash-tile-figure");
        var value = make("span", "dash-tile-value", shortNumber(item.value, true));
        value.title = fullNumber(item.value) + item.unit + "（计入月报 " + item.reports + " 份）";
        figure.appendChild(value);
        figure.appendChild(make("span", "dash-tile-unit", item.unit));
        entry.appendChild(figure);
        list.appendChild(entry);
      });
      tile.appendChild(list);
      box.appendChild(tile);
    });
  }

  function renderCategories(body) {
    var box = find("categories");
    Object.keys(charts).forEach(function (name) {
      if (name.indexOf("category-") === 0) {
        dropChart(name);
      }
    });
    clear(box);
    body.categories.forEach(function (group) {
      var card = make("article", "dash-category dash-cat-" + group.category);
      var title = make("h3", null, group.label + " ");
      title.appendChild(make("small", null, group.duty_title));
      card.appendChild(title);
      var counted = group.indicators.filter(function (item) {
        return item.value_type !== "money";
      });
      var money = group.indicators.filter(function (item) {
        return item.value_type === "money";
      });
      var chart = make("div", "dash-chart");
      chart.dataset.chart = "category-" + group.category;
      chart.setAttribute("role", "img");
      chart.setAttribute("aria-label", group.label + "各指标数值");
      card.appendChild(chart);
      if (money.length) {
        var line = make("p", "dash-money");
        money.forEach(function (item) {
          var part = make("span", null, item.name + " ");
          var value = make("strong", null, shortNumber(item.value, true) + item.unit);
          value.title = fullNumber(item.value) + item.unit;
          part.appendChild(value);
          line.appendChild(part);
        });
        card.appendChild(line);
      }
      var details = make("details", "dash-details");
      details.appendChild(make("summary", null, "全部数值"));
      var table = make("table", "dash-table");
      var head = make("thead");
      var headRow = make("tr");
      ["指标", "数值", "计入月报"].forEach(function (label, index) {
        var th = make("th", index ? "num" : null, label);
        th.scope = "col";
        headRow.appendChild(th);
      });
      head.appendChild(headRow);
      table.appendChild(head);
      var rows = make("tbody");
      group.indicators.forEach(function (item) {
        var row = make("tr");
        row.dataset.code = item.code;
        cell(row, item.name);
        cell(row, fullNumber(item.value) + " " + item.unit, "num");
        cell(row, String(item.reports), "num");
        rows.appendChild(row);
      });
      table.appendChild(rows);
      var wrap = make("div", "table-wrap");
      wrap.appendChild(table);
      details.appendChild(wrap);
      card.appendChild(details);
      box.appendChild(card);
      rankedBars(
        "category-" + group.category,
        chart,
        counted.map(function (item) {
          return { name: item.name, value: item.value, unit: item.unit, extra: "计入月报 " + item.reports + " 份" };
        }),
        CATEGORY_COLORS[group.category] || ACCENT,
        null
      );
    });
  }

  function renderTotals(body) {
    latestMonth = body.latest_month;
    state.kind = body.period.kind;
    state.period = body.period.end;
    syncPickers(body.period.kind, body.period.end, body.period.label);
    var through =
      body.latest_month && body.latest_month < body.period.end && body.period.kind !== "month"
        ? "（数据截至" + monthLabel(body.latest_month) + "）"
        : "";
    find("summary").textContent =
      describeCut(body) + through + "：计入已审核月报 " + fullNumber(body.report_count) + " 份，工作队 " +
      fullNumber(body.team_count) + " 支。";
    find("freshness").textContent = freshnessText(body.freshness);
    renderPath(body);
    renderUnitChip(body);
    renderHeadlines(body);
    renderCategories(body);
    document.title = "统计 · " + body.area.name + " · 驻村工作队管理系统";
  }

  // -- rendering: breakdown -----------------------------------------------------------------------------------------

  function renderBreakdown(body) {
    var section = find("breakdown-section");
    var note = find("breakdown-note");
    var container = section.querySelector('[data-chart="breakdown"]');
    var table = find("breakdown-table");
    var rows = table.querySelector("tbody");
    fillIndicatorSelect(find("rank-indicator"), body.indicators, body.indicator ? body.indicator.code : "");
    if (body.indicator) {
      state.rankIndicator = body.indicator.code;
    }
    clear(rows);
    var title = find("breakdown-section").querySelector("h2");
    if (!body.child_level) {
      title.textContent = "下级地区排名";
      note.textContent = body.unit || body.unit_level
        ? "按派驻单位统计只到县（区）一级，" + body.area.name + "不再往下分。"
        : body.area.name + "已是村（居）一级。";
      container.hidden = true;
      table.hidden = true;
      dropChart("breakdown");
      return;
    }
    title.textContent = "各" + LEVEL_NAMES[body.child_level] + "排名";
    note.textContent = "按“" + body.indicator.name + "”排名。点击条形或名称查看下一级。";
    container.hidden = false;
    table.hidden = false;
    var unit = body.indicator ? body.indicator.unit : "";
    body.areas.forEach(function (area) {
      var row = make("tr");
      row.dataset.area = area.code;
      cell(row, String(area.rank), "num");
      var nameCell = cell(row, "");
      var link = make("a", null, area.name);
      link.href = areaLink(area.code);
      link.dataset.area = area.code;
      nameCell.appendChild(link);
      cell(row, fullNumber(area.value) + " " + unit, "num");
      cell(row, fullNumber(area.report_count), "num");
      cell(row, fullNumber(area.team_count), "num");
      rows.appendChild(row);
    });
    rankedBars(
      "breakdown",
      container,
      body.areas.map(function (area) {
        return {
          name: area.name,
          value: area.value,
          unit: unit,
          extra: "第" + area.rank + "名 · 计入月报 " + area.report_count + " 份 · 工作队 " + area.team_count + " 支",
        };
      }),
      ACCENT,
      function (index) {
        goToArea(body.areas[index].code);
      }
    );
  }

  // -- rendering: trend ---------------------------------------------------------------------------------------------

  function renderTrend(body) {
    state.trendIndicator = body.indicator.code;
    find("trend-indicator").value = body.indicator.code;
    var container = root.querySelector('[data-chart="trend"]');
    var chart = chartFor("trend", container);
    if (!chart) {
      return;
    }
    var points = fromFirstFigure(body.points, function (point) {
      return point.value !== null;
    });
    chart.setOption(
      {
        animation: false,
        grid: { left: 8, right: 16, top: 24, bottom: 8 },
        tooltip: {
          trigger: "axis",
          confine: true,
          formatter: function (params) {
            var point = points[params[0].dataIndex];
            return tooltipLine(
              monthLabel(point.month) + " " + body.indicator.name,
              point.value,
              body.indicator.unit,
              point.value === null ? "无统计数" : "计入月报 " + point.reports + " 份"
            );
          },
        },
        xAxis: {
          type: "category",
          data: points.map(function (point, index) {
            var parts = point.month.split("-");
            return index === 0 || parts[1] === "01" ? monthLabel(point.month) : Number(parts[1]) + "月";
          }),
          axisTick: { alignWithLabel: true },
        },
        yAxis: { type: "value", name: body.indicator.unit, axisLabel: { formatter: axisNumber }, splitNumber: 4 },
        series: [
          {
            type: "line",
            name: body.indicator.name,
            data: points.map(function (point) {
              return point.value === null ? null : Number(point.value);
            }),
            connectNulls: false,
            symbolSize: 7,
            itemStyle: { color: ACCENT },
            lineStyle: { color: ACCENT, width: 2 },
            areaStyle: { color: "rgba(140, 29, 24, 0.08)" },
          },
        ],
      },
      true
    );
  }

  // -- rendering: units ---------------------------------------------------------------------------------------------

  function renderUnits(body) {
    var section = find("units-section");
    var indicator = body.indicator;
    var unit = indicator ? indicator.unit : "";
    find("units-note").textContent =
      (indicator ? "按“" + indicator.name + "”比较" : "比较") +
      "各单位层级和派驻单位（单位统计到县级）。" +
      (options.units.length ? "" : "点击单位只看该单位。");
    var levelsBox = section.querySelector('[data-chart="levels"]');
    var unitsBox = section.querySelector('[data-chart="units"]');
    levelsBox.hidden = body.levels.length === 0;
    if (body.levels.length) {
      rankedBars(
        "levels",
        levelsBox,
        body.levels.map(function (level) {
          return {
            name: level.label + "单位",
            value: level.value,
            unit: unit,
            extra: "工作队 " + level.team_count + " 支",
          };
        }),
        "#1d4ed8",
        options.units.length
          ? null
          : function (index) {
              setFilter({ unitLevel: body.levels[index].level, unit: "" });
            }
      );
    } else {
      dropChart("levels");
    }
    var top = body.units.slice(0, TOP_UNITS);
    var pick = function (index) {
      if (!options.units.length) {
        setFilter({ unit: String(body.units[index].id), unitLevel: "" });
      }
    };
    rankedBars(
      "units",
      unitsBox,
      top.map(function (item) {
        return {
          name: item.name,
          value: item.value,
          unit: unit,
          extra: item.level_display + " · 工作队 " + item.team_count + " 支",
        };
      }),
      "#0f766e",
      options.units.length ? null : pick
    );
    var listed = body.unit_total > body.units.length ? "，列出前 " + body.units.length + " 个" : "";
    find("units-summary").textContent = "全部派驻单位（" + body.unit_total + " 个" + listed + "）";
    var rows = find("units-table").querySelector("tbody");
    clear(rows);
    body.units.forEach(function (item, index) {
      var row = make("tr");
      cell(row, String(item.rank), "num");
      var nameCell = cell(row, "");
      if (options.units.length) {
        nameCell.textContent = item.name;
      } else {
        var button = make("button", "link-button", item.name);
        button.type = "button";
        button.addEventListener("click", function () {
          pick(index);
        });
        nameCell.appendChild(button);
      }
      cell(row, item.level_display);
      cell(row, fullNumber(item.value) + " " + unit, "num");
      cell(row, fullNumber(item.team_count), "num");
      rows.appendChild(row);
    });
  }

  function hideUnits(message) {
    var section = find("units-section");
    find("units-note").textContent = message;
    ["levels", "units"].forEach(function (name) {
      dropChart(name);
      section.querySelector('[data-chart="' + name + '"]').hidden = true;
    });
    clear(find("units-table").querySelector("tbody"));
    find("units-summary").textContent = "全部派驻单位";
  }

  // -- rendering: completeness --------------------------------------------------------------------------------------

  var COMPLETENESS_FIGURES = [
    ["expected", "应报"],
    ["submitted", "已报"],
    ["approved", "已审"],
    ["late", "逾期"],
    ["missing", "未报"],
  ];

  function renderCompleteness(body) {
    var section = find("completeness-section");
    find("completeness-month").textContent =
      body.area.name + " " + monthLabel(body.month) + "月报：应报为当月在驻的工作队；逾期含截止后提交和过期未交。";
    var figures = find("completeness-figures");
    clear(figures);
    COMPLETENESS_FIGURES.concat([["rate", "已报率"]]).forEach(function (pair) {
      var box = make("div", "dash-figure dash-figure-" + pair[0]);
      box.appendChild(make("dt", null, pair[1]));
      var value = body.figure[pair[0]];
      box.appendChild(make("dd", null, pair[0] === "rate" ? percent(value) : fullNumber(value)));
      figures.appendChild(box);
    });
    var container = section.querySelector('[data-chart="completeness"]');
    var chart = chartFor("completeness", container);
    var months = fromFirstFigure(body.months, function (month) {
      return month.expected > 0;
    });
    if (chart) {
      var series = function (name, color, values) {
        return { type: "bar", stack: "reports", name: name, itemStyle: { color: color }, data: values };
      };
      chart.setOption(
        {
          animation: false,
          legend: { top: 0 },
          grid: { left: 8, right: 8, top: 36, bottom: 8 },
          tooltip: {
            trigger: "axis",
            confine: true,
            formatter: function (params) {
              var figure = months[params[0].dataIndex];
              return (
                "<strong>" + escapeHtml(monthLabel(figure.month)) + "</strong><br>" +
                COMPLETENESS_FIGURES.map(function (pair) {
                  return escapeHtml(pair[1] + " " + fullNumber(figure[pair[0]]));
                }).join("<br>") +
                "<br>" + escapeHtml("已报率 " + percent(figure.rate))
              );
            },
          },
          xAxis: {
            type: "category",
            data: months.map(function (month, index) {
              var parts = month.month.split("-");
              return index === 0 || parts[1] === "01" ? monthLabel(month.month) : Number(parts[1]) + "月";
            }),
          },
          yAxis: [
            { type: "value", minInterval: 1 },
            { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } },
          ],
          series: [
            series("已审", "#15803d", months.map(function (m) { return m.approved; })),
            series("已报待审", "#1d4ed8", months.map(function (m) { return m.submitted - m.approved; })),
            series("未报", "#b45309", months.map(function (m) { return m.missing; })),
            {
              type: "line",
              name: "已报率",
              yAxisIndex: 1,
              itemStyle: { color: ACCENT },
              data: months.map(function (m) {
                return m.rate === null ? null : Number(m.rate);
              }),
            },
          ],
        },
        true
      );
    }
    var rows = find("completeness-table").querySelector("tbody");
    clear(rows);
    var drillable = body.child_level && body.child_level !== "village";
    body.areas.forEach(function (area) {
      var row = make("tr");
      row.dataset.area = area.code;
      var nameCell = cell(row, "");
      if (drillable) {
        var link = make("a", null, area.name);
        link.href = areaLink(area.code);
        link.dataset.area = area.code;
        nameCell.appendChild(link);
      } else {
        nameCell.textContent = area.name;
      }
      COMPLETENESS_FIGURES.forEach(function (pair) {
        cell(row, fullNumber(area[pair[0]]), "num");
      });
      cell(row, percent(area.rate), "num" + (area.rate !== null && Number(area.rate) < 100 ? " dash-short" : ""));
      rows.appendChild(row);
    });
    find("completeness-table").hidden = body.areas.length === 0;
  }

  // -- loading ------------------------------------------------------------------------------------------------------

  function busy(part, on) {
    var section = find(part + "-section");
    if (section) {
      section.setAttribute("aria-busy", on ? "true" : "false");
    }
  }

  function guarded(part, current, promise, render) {
    busy(part, true);
    return promise
      .then(function (body) {
        if (current === generation) {
          showError(part, null);
          render(body);
        }
      })
      .catch(function (error) {
        if (current === generation && error !== STALE) {
          showError(part, error);
        }
      })
      .then(function () {
        if (current === generation) {
          busy(part, false);
        }
      });
  }

  function loadRanked(current) {
    var query = stateQuery({ indicator: state.rankIndicator });
    var jobs = [guarded("breakdown", current, api("breakdown", query, current), renderBreakdown)];
    if (state.area && state.area.length > UNIT_CUT_MAX_LENGTH) {
      hideUnits("派驻单位统计只到县（区）一级；回到县（区）或以上查看单位对比。");
    } else {
      var unitsQuery = stateQuery({ indicator: state.rankIndicator, limit: String(UNITS_LIMIT) });
      unitsQuery.delete("unit");
      unitsQuery.delete("unit_level");
      jobs.push(guarded("units", current, api("units", unitsQuery, current), renderUnits));
    }
    return Promise.all(jobs);
  }

  function loadTrend(current) {
    var query = stateQuery({ indicator: state.trendIndicator });
    return guarded("trend", current, api("trend", query, current), renderTrend);
  }

  function loadCompleteness(current) {
    if (!options.completeness) {
      return Promise.resolve();
    }
    var query = new URLSearchParams();
    if (state.area) {
      query.set("area", state.area);
    }
    if (state.kind === "month" && state.period) {
      query.set("month", state.period);
    }
    return guarded("completeness", current, api("completeness", query, current), renderCompleteness);
  }

  function loadAll() {
    generation += 1;
    var current = generation;
    root.setAttribute("aria-busy", "true");
    root.dataset.loaded = "false";
    // Totals first: they settle the defaults (period) that the other parts then ask for explicitly.
    return guarded("totals", current, api("totals", stateQuery(), current), renderTotals).then(function () {
      if (current !== generation) {
        return null;
      }
      return Promise.all([loadRanked(current), loadTrend(current), loadCompleteness(current)]).then(function () {
        if (current === generation) {
          root.setAttribute("aria-busy", "false");
          root.dataset.loaded = "true";
        }
      });
    });
  }

  function goToArea(code) {
    if (!code || code === state.area) {
      return;
    }
    state.area = code;
    if (code.length > UNIT_CUT_MAX_LENGTH && !options.units.length) {
      // Unit cuts stop at county level: going below drops the unit filter rather than failing.
      state.unit = "";
      state.unitLevel = "";
    }
    writeUrl(true);
    loadAll();
  }

  function setFilter(changes) {
    Object.keys(changes).forEach(function (key) {
      state[key] = changes[key];
    });
    if ((state.unit || state.unitLevel) && state.area.length > UNIT_CUT_MAX_LENGTH) {
      state.area = state.area.slice(0, UNIT_CUT_MAX_LENGTH);
    }
    writeUrl(false);
    loadAll();
  }

  // -- events -------------------------------------------------------------------------------------------------------

  function onAreaClick(event) {
    var link = event.target.closest("a[data-area]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
      return;
    }
    event.preventDefault();
    goToArea(link.dataset.area);
  }

  function bindEvents() {
    root.addEventListener("click", onAreaClick);
    find("filters").addEventListener("submit", function (event) {
      event.preventDefault();
    });
    find("kind").addEventListener("change", function (event) {
      // Keep the same moment: the new kind's period that holds the month shown so far (or the latest with data).
      var month = state.period && latestMonth && state.period > latestMonth ? latestMonth : state.period;
      setFilter({ kind: event.target.value, period: month || "" });
    });
    find("period").addEventListener("change", function (event) {
      setFilter({ period: event.target.value });
    });
    find("batch").addEventListener("change", function (event) {
      setFilter({ batch: event.target.value });
    });
    find("unit-level").addEventListener("change", function (event) {
      setFilter({ unitLevel: event.target.value, unit: "" });
    });
    find("unit").addEventListener("change", function (event) {
      setFilter({ unit: event.target.value });
    });
    find("unit-chip-clear").addEventListener("click", function () {
      setFilter({ unit: "" });
    });
    find("rank-indicator").addEventListener("change", function (event) {
      state.rankIndicator = event.target.value;
      writeUrl(false);
      generation += 1;
      loadRanked(generation);
    });
    find("trend-indicator").addEventListener("change", function (event) {
      state.trendIndicator = event.target.value;
      generation += 1;
      loadTrend(generation);
    });
    window.addEventListener("popstate", function () {
      readState();
      syncPickers(state.kind || options.default_kind, state.period, "");
      loadAll();
    });
    var timer = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(resizeCharts, 120);
    });
  }

  function start() {
    readState();
    api("options")
      .then(function (body) {
        options = body;
        if (!state.trendIndicator) {
          state.trendIndicator = state.rankIndicator || (body.indicators[0] ? body.indicators[0].code : "");
        }
        setUpPickers();
        bindEvents();
        return loadAll();
      })
      .catch(function (error) {
        showError("options", error);
        find("summary").textContent = "统计数据无法加载。";
      });
  }

  start();
})();
