// Suggestions while typing in the search box: the ARIA 1.2 combobox pattern (an input that
// controls a listbox; the active option is aria-activedescendant, so focus stays in the box).
// Arrow keys move, Enter picks, Escape closes (and drops the answers still on their way).
// Requests wait until typing pauses (150 ms) and an answer that is not for the latest text is
// dropped: typing is never held up.
// Picking a completed query searches it, a category browses it, an item opens its page.
(() => {
  "use strict";
  const form = document.getElementById("search-form");
  const input = document.getElementById("search-q");
  const listbox = document.getElementById("search-suggestions");
  if (!form || !input || !listbox || !window.fetch) return;
  const DEBOUNCE_MS = 150;
  const MIN_CHARS = 2;
  const GROUPS = [
    ["queries", "Searches"],
    ["categories", "Categories"],
    ["items", "Items"],
  ];
  let timer = null;
  let latest = 0; // the number of the latest request; older answers are dropped
  let options = [];
  let active = -1;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listbox.id);

  function setActive(index) {
    if (options[active]) {
      options[active].classList.remove("active");
      options[active].setAttribute("aria-selected", "false");
    }
    active = index;
    const option = options[active];
    if (option) {
      option.classList.add("active");
      option.setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function close() {
    setActive(-1);
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }

  function open() {
    if (!options.length) return;
    listbox.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function option(kind, value, index) {
    const element = document.createElement("div");
    element.id = `suggestion-${index}`;
    element.className = `suggestion suggestion-${kind}`;
    element.setAttribute("role", "option");
    element.setAttribute("aria-selected", "false");
    element.dataset.kind = kind;
    if (kind === "queries") {
      element.dataset.value = value;
      element.textContent = value;
    } else if (kind === "categories") {
      element.dataset.value = value.value;
      element.append(`in ${value.value}`);
      const count = element.appendChild(document.createElement("span"));
      count.className = "suggestion-count";
      count.textContent = ` ${value.count} item${value.count === 1 ? "" : "s"}`;
    } else {
      element.dataset.value = String(value.id);
      if (value.thumbnail_url) {
        const thumbnail = element.appendChild(document.createElement("img"));
        thumbnail.src = value.thumbnail_url;
        thumbnail.alt = "";
        thumbnail.width = 40;
        thumbnail.height = 40;
      } else {
        element.appendChild(document.createElement("span")).className = "suggestion-no-image";
      }
      const text = element.appendChild(document.createElement("span"));
      text.className = "suggestion-text";
      text.textContent = value.title;
      if (value.category) {
        const category = text.appendChild(document.createElement("span"));
        category.className = "suggestion-count";
        category.textContent = ` ${value.category}`;
      }
    }
    return element;
  }

  function show(body) {
    listbox.replaceChildren();
    options = [];
    active = -1;
    input.removeAttribute("aria-activedescendant");
    for (const [kind, label] of GROUPS) {
      const values = body[kind] || [];
      if (!values.length) continue;
      const group = listbox.appendChild(document.createElement("div"));
      group.setAttribute("role", "group");
      group.setAttribute("aria-labelledby", `suggestions-${kind}`);
      const heading = group.appendChild(document.createElement("div"));
      heading.id = `suggestions-${kind}`;
      heading.className = "suggestion-heading";
      heading.setAttribute("role", "presentation");
      heading.textContent = label;
      for (const value of values) options.push(group.appendChild(option(kind, value, options.length)));
    }
    if (options.length) open();
    else close();
  }

  async function suggest() {
    const typed = input.value;
    const mine = ++latest;
    if (typed.trim().length < MIN_CHARS) {
      close();
      return;
    }
    try {
      const response = await fetch(`${listbox.dataset.url}?${new URLSearchParams({ q: typed })}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const body = await response.json();
      // Typing went on meanwhile, or the box lost focus: this answer is stale.
      if (mine !== latest || document.activeElement !== input) return;
      show(body);
    } catch (error) {
      // Suggestions are a convenience: a failed request leaves the box as it is.
    }
  }

  function pick(element) {
    const { kind, value } = element.dataset;
    dismiss();
    if (kind === "items") {
      location.assign(listbox.dataset.itemUrl.replace(/0\/$/, `${value}/`));
      return;
    }
    if (kind === "queries") {
      input.value = value;
      form.requestSubmit();
      return;
    }
    // A category: browse it (the search page's script loads it in place when it runs).
    input.value = "";
    const params = new URLSearchParams({ category: value });
    const mode = form.elements.mode.value;
    if (mode && mode !== "hybrid") params.append("mode", mode);
    const url = `${form.getAttribute("action")}?${params}`;
    const event = new CustomEvent("search:navigate", { detail: { url }, cancelable: true });
    if (form.dispatchEvent(event)) location.assign(url);
  }

  // Closed by the shopper: a request still waiting for the pause, or an answer still on its
  // way (to the text typed just before), must not open the list again.
  function dismiss() {
    clearTimeout(timer);
    latest += 1;
    close();
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (event) => {
    const expanded = !listbox.hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!options.length) return;
      event.preventDefault();
      if (!expanded) {
        open();
        setActive(event.key === "ArrowDown" ? 0 : options.length - 1);
        return;
      }
      const step = event.key === "ArrowDown" ? 1 : -1;
      const from = active === -1 && step === -1 ? 0 : active;
      setActive((from + step + options.length) % options.length);
    } else if (event.key === "Enter" && expanded && options[active]) {
      event.preventDefault();
      pick(options[active]);
    } else if (event.key === "Escape") {
      if (expanded) event.preventDefault(); // it closes the list, and the box keeps its text
      dismiss();
    }
  });
  input.addEventListener("blur", () => close());
  // Pressing on an option keeps the focus in the box; the click picks it.
  listbox.addEventListener("mousedown", (event) => event.preventDefault());
  listbox.addEventListener("click", (event) => {
    const element = event.target.closest("[role=option]");
    if (element) pick(element);
  });
  form.addEventListener("submit", () => dismiss());
})();
