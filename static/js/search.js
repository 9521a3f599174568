// The search page without reloads. The server renders every result (the same template
// include as the full page); this only picks, drops and pastes images, submits the form
// with fetch (GET for text, multipart POST with an image), swaps the results fragment in
// and keeps the address bar in step. Without this script the form still works.
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
  const FIELDS = ["q", "category", "price_min", "price_max", "mode", "item_id", "page"];
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

  function swap(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const count = template.content.querySelector("#results-count");
    const body = template.content.querySelector("#results-body");
    if (!count || !body) throw new Error("unexpected response");
    // The live region stays in place; changing its text is what screen readers announce.
    region.querySelector("#results-count").textContent = count.textContent;
    region.querySelector("#results-body").replaceWith(body);
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

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form, event.submitter || undefined);
    const paging = Boolean(event.submitter && event.submitter.name === "page");
    if (hasImage()) {
      if (fileInput.files.length) data.delete("image_data");
      load(form.action, { method: "POST", body: data }, null, paging);
      // A multipart search has no shareable URL: do not leave an older text query there.
      if (location.search) history.replaceState(null, "", location.pathname);
      shown = location.pathname;
      return;
    }
    const params = new URLSearchParams();
    for (const name of FIELDS) {
      for (const value of data.getAll(name)) {
        if (typeof value === "string" && value.trim() && !(name === "mode" && value === "hybrid")) {
          params.append(name, value);
        }
      }
    }
    const query = params.toString();
    const url = form.getAttribute("action") + (query ? `?${query}` : "");
    load(url, { method: "GET" }, url, paging);
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
    const params = new URLSearchParams(location.search);
    form.elements.q.value = params.get("q") || "";
    form.elements.category.value = params.get("category") || "";
    form.elements.price_min.value = params.get("price_min") || "";
    form.elements.price_max.value = params.get("price_max") || "";
    form.elements.mode.value = params.get("mode") || "hybrid";
    load(url, { method: "GET" }, null, false);
  });

  showPreview();
})();
