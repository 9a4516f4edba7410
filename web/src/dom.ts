/** A few helpers to build the DOM without a framework: elements from a tag, properties and children. */

/** What an element may hold: nodes, text, or lists of them; null, undefined and false add nothing. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Attributes (`class`, `aria-*`, `for`...), DOM properties (`value`, `checked`), `style` text and `on<event>` listeners. */
export type Props = Record<string, unknown>;

/** Properties set on the element itself rather than as attributes. */
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'open', 'srcdoc']);

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const item of child as readonly Child[]) append(parent, item);
    return;
  }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

/** An element: `h('button', { class: 'primary', onclick: run }, 'Run')`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value as EventListener);
    else if (PROPERTIES.has(name)) (element as unknown as Record<string, unknown>)[name] = value;
    // Through the CSSOM: the page's content security policy refuses style attributes.
    else if (name === 'style') element.style.cssText = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes. */
export function svg(tag: string, attributes: Record<string, string | number>, ...children: Node[]): SVGElement {
  const element = document.createElementNS(SVG, tag) as SVGElement;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.appendChild(child);
  return element;
}

/** Replaces the element's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A link within the page (hash routes: the token never enters a URL). */
export function link(route: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href: `#${route}` }, ...children);
}
