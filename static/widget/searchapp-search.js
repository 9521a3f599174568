/*
 * <searchapp-search>: the embeddable search widget for storefronts. One classic script, no
 * build step, no dependencies; it runs on the storefront's page, so it injects no inline
 * script or style attribute (its styles are a constructed stylesheet adopted by its shadow
 * root) and builds every node with textContent (no HTML from the API is parsed).
 *
 *   <script src="https://search.example.com/static/widget/searchapp-search.js" defer></script>
 *   <searchapp-search api="https://search.example.com"
 *                     product-url="https://shop.example.com/p/{external_id}"></searchapp-search>
 *
 * Attributes: api (the app's origin), product-url (a template: {external_id} and {id} are
 * replaced), placeholder, k (results per page, default 12), mode (of text searches:
 * hybrid | semantic | lexical; an image search is always by its looks). Theme with CSS custom properties on the element: --searchapp-accent,
 * --searchapp-text, --searchapp-muted, --searchapp-background, --searchapp-surface,
 * --searchapp-border, --searchapp-radius, --searchapp-font, --searchapp-columns.
 * Events: `searchapp-results` (detail: the API's answer) after each search.
 */
(() => {
  "use strict";

  const TAG = "searchapp-search";
  if (customElements.get(TAG)) return;

  const CSS = `
:host {
  --_accent: var(--searchapp-accent, #2155d6);
  --_text: var(--searchapp-text, #1d2330);
  --_muted: var(--searchapp-muted, #5b6475);
  --_background: var(--searchapp-background, #ffffff);
  --_surface: var(--searchapp-surface, #f4f6fa);
  --_border: var(--searchapp-border, #c9d0dc);
  --_radius: var(--searchapp-radius, 8px);
  display: block;
  color: var(--_text);
  background: var(--_background);
  font: 15px/1.4 var(--searchapp-font, system-ui, sans-serif);
}
* { box-sizing: border-box; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap;
}
form { display: flex; gap: 8px; position: relative; align-items: stretch; }
.box { position: relative; flex: 1; }
input[type=search] {
  width: 100%; padding: 10px 12px; font: inherit; color: inherit; background: var(--_background);
  border: 1px solid var(--_border); border-radius: var(--_radius);
}
input[type=search]:focus-visible, button:focus-visible, label.image:focus-within,
a:focus-visible, input[type=checkbox]:focus-visible {
  outline: 3px solid var(--_accent); outline-offset: 2px;
}
button, label.image {
  display: inline-flex; align-items: center; padding: 0 14px; font: inherit; cursor: pointer;
  border: 1px solid var(--_accent); border-radius: var(--_radius);
}
button { background: var(--_accent); color: #fff; }
label.image { color: var(--_accent); background: var(--_background); }
label.image input { position: absolute; opacity: 0; width: 1px; height: 1px; }
[role=listbox] {
  position: absolute; z-index: 10; left: 0; right: 0; top: calc(100% + 4px); margin: 0;
  padding: 4px 0; list-style: none; background: var(--_background);
  border: 1px solid var(--_border); border-radius: var(--_radius);
  box-shadow: 0 6px 20px rgb(0 0 0 / 0.12);
}
[role=option] { padding: 6px 12px; cursor: pointer; display: flex; justify-content: space-between; }
[role=option] .kind { color: var(--_muted); font-size: 0.85em; }
[role=option][aria-selected=true], [role=option]:hover { background: var(--_surface); }
.drop {
  margin-top: 8px; padding: 10px; text-align: center; color: var(--_muted);
  border: 2px dashed var(--_border); border-radius: var(--_radius);
}
.drop.over { border-color: var(--_accent); color: var(--_accent); }
.status { margin: 10px 0 4px; color: var(--_muted); min-height: 1.4em; }
.status.error { color: #b3261e; }
.body { display: flex; gap: 20px; align-items: flex-start; }
.facets { flex: 0 0 180px; }
.facets fieldset { border: 0; margin: 0 0 12px; padding: 0; }
.facets legend { font-weight: 600; margin-bottom: 4px; }
.facets label { display: flex; gap: 6px; align-items: center; padding: 2px 0; cursor: pointer; }
.facets .count { color: var(--_muted); margin-left: auto; }
.results {
  flex: 1; display: grid; gap: 14px; margin: 0; padding: 0; list-style: none;
  grid-template-columns: repeat(var(--searchapp-columns, 4), minmax(0, 1fr));
}
.results a {
  display: block; height: 100%; color: inherit; text-decoration: none; padding: 8px;
  background: var(--_surface); border-radius: var(--_radius);
}
.results a:hover .title { color: var(--_accent); text-decoration: underline; }
.results img {
  width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: calc(var(--_radius) - 2px);
  background: var(--_background);
}
.results .title { display: block; margin-top: 6px; font-weight: 600; }
.results .meta { display: flex; justify-content: space-between; color: var(--_muted); }
[hidden] { display: none !important; }
`;

  let sheet = null; // one constructed stylesheet shared by every instance
  function adoptStyles(root) {
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
      }
      root.adoptedStyleSheets = [sheet];
    } else {
      const style = document.createElement("style");
      style.textContent = CSS;
      root.append(style);
    }
  }

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === false || value == null) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    node.append(...children);
    return node;
  }

  let instances = 0;

  class SearchappSearch extends HTMLElement {
    static get observedAttributes() {
      return ["placeholder"];
    }

    constructor() {
      super();
      this.uid = `searchapp-${++instances}`;
      this.query = { text: "", image: null, categories: [] };
      this.options = [];
      this.active = -1;
      this.suggestTimer = 0;
      this.suggestSequence = 0;
      this.searchSequence = 0;
      this.root = this.attachShadow({ mode: "open" });
      adoptStyles(this.root);
      this.render();
    }

    get api() {
      return (this.getAttribute("api") || "").replace(/\/+$/, "");
    }

    attributeChangedCallback() {
      if (this.input) this.input.placeholder = this.getAttribute("placeholder") || "Search";
    }

    render() {
      const id = this.uid;
      this.input = el("input", {
        type: "search", id: `${id}-q`, role: "combobox", autocomplete: "off",
        "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": `${id}-list`,
        placeholder: this.getAttribute("placeholder") || "Search",
      });
      this.listbox = el("ul", {
        role: "listbox", id: `${id}-list`, "aria-label": "Suggestions", hidden: true,
      });
      this.fileInput = el("input", { type: "file", accept: "image/*" });
      this.form = el(
        "form", { role: "search" },
        el("label", { for: `${id}-q`, class: "visually-hidden", text: "Search the catalog" }),
        el("div", { class: "box" }, this.input, this.listbox),
        el("button", { type: "submit", text: "Search" }),
        el("label", { class: "image" }, "Search by image", this.fileInput),
      );
      this.drop = el("div", { class: "drop", text: "Drop or paste an image to search by it" });
      this.status = el("p", { class: "status", role: "status", "aria-live": "polite" });
      this.facets = el("nav", { class: "facets", "aria-label": "Filters", hidden: true });
      this.results = el("ul", { class: "results", "aria-label": "Results" });
      this.root.append(
        this.form, this.drop, this.status, el("div", { class: "body" }, this.facets, this.results),
      );

      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.closeSuggestions();
        this.search({ text: this.input.value.trim(), image: null, categories: [] });
      });
      this.input.addEventListener("input", () => this.scheduleSuggestions());
      this.input.addEventListener("keydown", (event) => this.onKey(event));
      this.input.addEventListener("blur", () => setTimeout(() => this.closeSuggestions(), 150));
      this.fileInput.addEventListener("change", () => {
        const file = this.fileInput.files && this.fileInput.files[0];
        if (file) this.searchImage(file);
        this.fileInput.value = "";
      });
      for (const name of ["dragenter", "dragover"]) {
        this.drop.addEventListener(name, (event) => {
          event.preventDefault();
          this.drop.classList.add("over");
        });
      }
      this.drop.addEventListener("dragleave", () => this.drop.classList.remove("over"));
      this.drop.addEventListener("drop", (event) => {
        event.preventDefault();
        this.drop.classList.remove("over");
        const file = [...(event.dataTransfer?.files || [])].find((f) => f.type.startsWith("image/"));
        if (file) this.searchImage(file);
      });
      this.addEventListener("paste", (event) => {
        const file = [...(event.clipboardData?.files || [])].find((f) => f.type.startsWith("image/"));
        if (file) {
          event.preventDefault();
          this.searchImage(file);
        }
      });
    }

    // --- suggestions: the ARIA 1.2 combobox pattern -----------------------------------------
    scheduleSuggestions() {
      clearTimeout(this.suggestTimer);
      const typed = this.input.value.trim();
      if (typed.length < 2) return this.closeSuggestions();
      this.suggestTimer = setTimeout(() => this.suggest(typed), 150);
    }

    async suggest(typed) {
      const sequence = ++this.suggestSequence;
      let answer;
      try {
        answer = await this.call(`/api/v1/suggest/?q=${encodeURIComponent(typed)}`);
      } catch {
        return; // suggestions are a help; a failed one is not an error to show
      }
      if (sequence !== this.suggestSequence) return; // a newer keystroke won
      const options = [
        ...answer.queries.map((text) => ({ kind: "query", text })),
        ...answer.categories.map((c) => ({ kind: "category", text: c.value })),
        ...answer.items.map((item) => ({ kind: "item", text: item.title, item })),
      ];
      this.showSuggestions(options);
    }

    showSuggestions(options) {
      this.options = options;
      this.active = -1;
      this.input.removeAttribute("aria-activedescendant");
      this.listbox.replaceChildren(
        ...options.map((option, index) => {
          const node = el(
            "li", { role: "option", id: `${this.uid}-option-${index}`, "aria-selected": "false" },
            el("span", { text: option.text }),
            el("span", { class: "kind", text: option.kind === "query" ? "" : option.kind }),
          );
          node.addEventListener("mousedown", (event) => event.preventDefault());
          node.addEventListener("click", () => this.pick(index));
          return node;
        }),
      );
      const open = options.length > 0;
      this.listbox.hidden = !open;
      this.input.setAttribute("aria-expanded", String(open));
    }

    closeSuggestions() {
      clearTimeout(this.suggestTimer);
      this.suggestSequence++;
      this.listbox.hidden = true;
      this.input.setAttribute("aria-expanded", "false");
      this.input.removeAttribute("aria-activedescendant");
      this.active = -1;
    }

    moveTo(index) {
      const nodes = this.listbox.querySelectorAll("[role=option]");
      nodes.forEach((node, i) => node.setAttribute("aria-selected", String(i === index)));
      this.active = index;
      if (index >= 0) {
        this.input.setAttribute("aria-activedescendant", nodes[index].id);
        nodes[index].scrollIntoView({ block: "nearest" });
      } else {
        this.input.removeAttribute("aria-activedescendant");
      }
    }

    onKey(event) {
      const open = !this.listbox.hidden;
      const count = this.options.length;
      if (event.key === "ArrowDown" && count) {
        event.preventDefault();
        if (!open) this.showSuggestions(this.options);
        this.moveTo((this.active + 1) % count);
      } else if (event.key === "ArrowUp" && open && count) {
        event.preventDefault();
        this.moveTo(this.active <= 0 ? count - 1 : this.active - 1);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        this.closeSuggestions();
      } else if (event.key === "Enter" && open && this.active >= 0) {
        event.preventDefault();
        this.pick(this.active);
      }
    }

    pick(index) {
      const option = this.options[index];
      this.closeSuggestions();
      if (option.kind === "item") {
        window.location.assign(this.productUrl(option.item));
        return;
      }
      if (option.kind === "category") {
        this.input.value = option.text;
        this.search({ text: option.text, image: null, categories: [option.text] });
        return;
      }
      this.input.value = option.text;
      this.search({ text: option.text, image: null, categories: [] });
    }

    // --- searching ---------------------------------------------------------------------------
    searchImage(file) {
      this.closeSuggestions();
      this.search({ text: this.input.value.trim(), image: file, categories: [] });
    }

    async search(query) {
      if (!query.text && !query.image) return;
      this.query = query;
      const sequence = ++this.searchSequence;
      this.setStatus("Searching…");
      const k = this.getAttribute("k") || "12";
      const mode = this.getAttribute("mode") || "hybrid";
      let body;
      let headers = {};
      if (query.image) {
        // Multipart: the image as a file, filters flat (category may repeat).
        body = new FormData();
        if (query.text) body.append("text", query.text);
        body.append("image", query.image, query.image.name || "image");
        body.append("k", k);
        for (const category of query.categories) body.append("category", category);
      } else {
        headers = { "Content-Type": "application/json" };
        const data = { text: query.text, k: Number(k), mode };
        if (query.categories.length) data.filters = { category: query.categories };
        body = JSON.stringify(data);
      }
      let answer;
      try {
        answer = await this.call("/api/v1/search/", { method: "POST", headers, body });
      } catch (error) {
        if (sequence === this.searchSequence) this.setStatus(error.message, true);
        return;
      }
      if (sequence !== this.searchSequence) return;
      this.showResults(answer);
      this.dispatchEvent(new CustomEvent("searchapp-results", { detail: answer, bubbles: true }));
    }

    async call(path, init = {}) {
      const response = await fetch(`${this.api}${path}`, { ...init, credentials: "omit" });
      let data = null;
      try {
        data = await response.json();
      } catch {
        data = null;
      }
      if (!response.ok) {
        const wait = response.headers.get("Retry-After");
        const detail = (data && data.detail) || `The search service answered ${response.status}.`;
        throw new Error(wait ? `${detail} Try again in ${wait} s.` : detail);
      }
      return data;
    }

    setStatus(text, error = false) {
      this.status.textContent = text;
      this.status.classList.toggle("error", error);
    }

    productUrl(item) {
      const template = this.getAttribute("product-url") || "{external_id}";
      return template
        .replaceAll("{external_id}", encodeURIComponent(item.external_id))
        .replaceAll("{id}", encodeURIComponent(String(item.id)));
    }

    showResults(answer) {
      const described = this.query.image ? "the image" : `“${this.query.text || this.query.categories.join(", ")}”`;
      const count = answer.total;
      this.setStatus(`${count} ${count === 1 ? "result" : "results"} for ${described}`);
      this.results.replaceChildren(
        ...answer.results.map(({ item }) => {
          const link = el("a", { href: this.productUrl(item) });
          if (item.thumbnail_url) {
            link.append(el("img", {
              src: new URL(item.thumbnail_url, `${this.api}/`).href, alt: "", loading: "lazy",
            }));
          }
          link.append(
            el("span", { class: "title", text: item.title }),
            el("span", { class: "meta" },
              el("span", { class: "category", text: item.category }),
              el("span", { class: "price", text: item.price == null ? "" : item.price })),
          );
          return el("li", {}, link);
        }),
      );
      this.showFacets(answer.facets);
    }

    showFacets(facets) {
      const categories = (facets && facets.categories) || [];
      this.facets.hidden = categories.length === 0;
      if (!categories.length) return this.facets.replaceChildren();
      const fieldset = el("fieldset", {}, el("legend", { text: "Category" }));
      for (const facet of categories) {
        const box = el("input", {
          type: "checkbox", checked: this.query.categories.includes(facet.value),
        });
        box.addEventListener("change", () => {
          const chosen = new Set(this.query.categories);
          if (box.checked) chosen.add(facet.value);
          else chosen.delete(facet.value);
          this.search({ ...this.query, categories: [...chosen] });
        });
        fieldset.append(el("label", {}, box, el("span", { text: facet.value }),
          el("span", { class: "count", text: String(facet.count), "aria-label": `${facet.count} items` })));
      }
      this.facets.replaceChildren(fieldset);
    }
  }

  customElements.define(TAG, SearchappSearch);
})();
