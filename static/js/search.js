// The search page without reloads. The server renders every result (the same template
// include as the full page); this only picks, drops and pastes images, submits the form
// with fetch (GET for text, multipart POST with an image), swaps the results fragment in
// (the count, the filter sidebar and the results) and keeps the address bar in step: every
// filter and the sort order are parameters of the address. Ticking a filter or choosing a
// sort searches at once. Without this script the form still works ("Apply filters").
(() => {
  "use strict";
  const form = document.getElementById("search-form");
  const region = document.getElementById("results");
  if (!form || !region || !window.fetch || !window.DataTransfer) return;
  const fileInput = form.querySelector("#search-image");
  const zone = form.querySelector("#drop-zone");
  const preview = form.querySelector("#image-preview");
  const previewImg = form.querySelector("#image-preview-img");
  const removeButton = form.querySelector("#image-remove");
  const submitButton = form.querySelector("#search-submit");
  const loading = region.querySelector("#results-loading");
  const heading = region.querySelector("#results-heading");
  const sortSelect = document.getElementById("search-sort");
  const facetsToggle = document.getElementById("facets-toggle");
  // The address's parameters, in this order (then attr.<key> ones); defaults are left out.
  const FIELDS = ["q", "category", "price_min", "price_max", "mode", "sort", "cutoff", "item_id"];
  const DEFAULTS = { mode: "hybrid", sort: "relevance" };
  let objectUrl = null;
  let controller = null;
  let shown = location.pathname + location.search;

  const echoedImage = () => form.querySelector("input[name=image_data]");
  const hasImage = () => fileInput.files.length > 0 || echoedImage() !== null;

  function showPreview() {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = null;
    const file = fileInput.files[0];
    if (file) {
      if (echoedImage()) echoedImage().remove(); // a new pick replaces the image of the last page
      objectUrl = URL.createObjectURL(file);
      previewImg.src = objectUrl;
    } else if (echoedImage()) {
      previewImg.src = echoedImage().value;
    } else {
      previewImg.removeAttribute("src");
    }
    const any = hasImage();
    preview.hidden = !any;
    removeButton.hidden = !any;
    zone.classList.toggle("has-image", any);
  }

  function useFile(file) {
    if (!file || !file.type.startsWith("image/")) return false;
    const transfer = new DataTransfer();
    transfer.items.add(file);
    fileInput.files = transfer.files;
    showPreview();
    return true;
  }

  fileInput.addEventListener("change", showPreview);
  removeButton.addEventListener("click", () => {
    fileInput.value = "";
    if (echoedImage()) echoedImage().remove();
    showPreview();
    fileInput.focus();
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    const files = event.dataTransfer ? Array.from(event.dataTransfer.files) : [];
    useFile(files.find((file) => file.type.startsWith("image/")));
  });
  // Ctrl+V anywhere: an image on the clipboard becomes the query image; text pastes as usual.
  document.addEventListener("paste", (event) => {
    const items = event.clipboardData ? Array.from(event.clipboardData.items) : [];
    const item = items.find((entry) => entry.kind === "file" && entry.type.startsWith("image/"));
    if (item && useFile(item.getAsFile())) event.preventDefault();
  });

  function setBusy(busy) {
    region.setAttribute("aria-busy", String(busy));
    loading.hidden = !busy;
    submitButton.disabled = busy;
  }

  function chosenFilters() {
    const facets = region.querySelector("#facets");
    if (!facets) return 0;
    const ticked = facets.querySelectorAll("input[type=checkbox]:checked").length;
    const price = ["price_min", "price_max"].some((name) => {
      const input = facets.querySelector(`input[name=${name}]`);
      return input && input.value.trim();
    });
    return ticked + (price ? 1 : 0);
  }

  function showToggle() {
    const chosen = chosenFilters();
    facetsToggle.textContent = chosen ? `Filters (${chosen} chosen)` : "Filters";
  }

  function swap(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const count = template.content.querySelector("#results-count");
    const body = template.content.querySelector("#results-body");
    const facets = template.content.querySelector("#facets");
    if (!count || !body || !facets) throw new Error("unexpected response");
    // A control of the sidebar keeps the focus across the swap (the same id in the new one).
    const focused = region.querySelector("#facets") &&
      region.querySelector("#facets").contains(document.activeElement) ? document.activeElement.id : "";
    // The live region stays in place; changing its text is what screen readers announce.
    region.querySelector("#results-count").textContent = count.textContent;
    region.querySelector("#results-body").replaceWith(body);
    region.querySelector("#facets").replaceWith(facets);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    showToggle();
  }

  function showError(message) {
    const body = document.createElement("div");
    body.id = "results-body";
    const alert = body.appendChild(document.createElement("div"));
    alert.className = "alert";
    alert.setAttribute("role", "alert");
    alert.textContent = message;
    region.querySelector("#results-count").textContent = "The search could not run.";
    region.querySelector("#results-body").replaceWith(body);
  }

  async function load(url, init, historyUrl, focusResults) {
    if (controller) controller.abort();
    controller = new AbortController();
    const mine = controller;
    setBusy(true);
    try {
      const response = await fetch(url, {
        ...init,
        signal: mine.signal,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      const html = await response.text();
      if (response.status >= 500 || response.status === 403) {
        showError(`The server could not answer (${response.status}). Please try again.`);
      } else {
        swap(html);
      }
      if (historyUrl && historyUrl !== shown) history.pushState({ search: true }, "", historyUrl);
      if (historyUrl) shown = historyUrl;
    } catch (error) {
      if (error.name === "AbortError") return;
      showError("The search failed: the server could not be reached. Please try again.");
    } finally {
      if (controller === mine) {
        setBusy(false);
        if (focusResults) heading.focus();
        else if (document.activeElement === document.body) submitButton.focus();
      }
    }
  }

  function clearFilters() {
    const facets = region.querySelector("#facets");
    for (const input of facets.querySelectorAll("input[type=checkbox], input[type=radio]")) {
      input.checked = input.type === "radio" && input.value === "";
    }
    for (const input of facets.querySelectorAll("input[type=number]")) input.value = "";
  }

  // The shareable address of the form's text search: its fields in a fixed order, blanks and
  // defaults left out; a sidebar price range already sits in price_min and price_max.
  function searchUrl(data) {
    const attributes = [...new Set(data.keys())].filter((name) => name.startsWith("attr."));
    const names = [...FIELDS, ...attributes.sort(), "page"];
    const params = new URLSearchParams();
    for (const name of names) {
      for (const value of data.getAll(name)) {
        if (typeof value === "string" && value.trim() && DEFAULTS[name] !== value) {
          params.append(name, value);
        }
      }
    }
    const query = params.toString();
    return form.getAttribute("action") + (query ? `?${query}` : "");
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (event.submitter && event.submitter.name === "clear") clearFilters();
    const submitter = event.submitter && event.submitter.name === "page" ? event.submitter : undefined;
    const data = new FormData(form, submitter);
    data.delete("price_range");
    const paging = Boolean(submitter);
    if (hasImage()) {
      if (fileInput.files.length) data.delete("image_data");
      load(form.action, { method: "POST", body: data }, null, paging);
      // A multipart search has no shareable URL: do not leave an older text query there.
      if (location.search) history.replaceState(null, "", location.pathname);
      shown = location.pathname;
      return;
    }
    const url = searchUrl(data);
    load(url, { method: "GET" }, url, paging);
  });

  // A ticked filter, a price range or a sort order searches at once (from page 1).
  region.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.closest || !input.closest("#facets")) return;
    if (input.name === "price_range") {
      const [low, high] = input.value.split(":");
      form.elements.price_min.value = low || "";
      form.elements.price_max.value = high || "";
    } else if (input.type === "number") {
      return; // typed prices apply with Enter or "Apply filters"
    }
    form.requestSubmit();
  });
  sortSelect.addEventListener("change", () => form.requestSubmit());

  // On a narrow screen the sidebar folds away behind a disclosure button.
  facetsToggle.hidden = false;
  region.classList.add("facets-collapsible");
  facetsToggle.addEventListener("click", () => {
    const open = facetsToggle.getAttribute("aria-expanded") !== "true";
    facetsToggle.setAttribute("aria-expanded", String(open));
    region.classList.toggle("facets-open", open);
  });
  showToggle();

  // Another script (the suggestions) asks for an address: load it like a search.
  form.addEventListener("search:navigate", (event) => {
    event.preventDefault();
    const url = event.detail.url;
    syncForm(new URL(url, location.href).searchParams);
    load(url, { method: "GET" }, url, false);
  });

  region.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-page-link]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    const url = link.getAttribute("href").startsWith("?")
      ? location.pathname + link.getAttribute("href")
      : link.getAttribute("href");
    load(url, { method: "GET" }, url, true);
  });

  // Back and forward: show the results of the address, and put its query back in the form.
  window.addEventListener("popstate", () => {
    const url = location.pathname + location.search;
    if (url === shown) return; // only the #fragment changed (the skip link)
    shown = url;
    syncForm(new URLSearchParams(location.search));
    load(url, { method: "GET" }, null, false);
  });

  // The form's own fields follow an address; the sidebar comes with the results.
  function syncForm(params) {
    form.elements.q.value = params.get("q") || "";
    form.elements.mode.value = params.get("mode") || DEFAULTS.mode;
    sortSelect.value = params.get("sort") || DEFAULTS.sort;
  }

  showPreview();
})();
