// <berth-architecture>: the panel beside the terminal. Later issues draw the live architecture
// here; for now it names the parts a command goes through.
import { LitElement, css, html } from 'lit';

export class BerthArchitecture extends LitElement {
  static override styles = css`
    :host { display: block; padding: 0.8rem 1rem; border-left: 1px solid #313244; overflow: auto; color: #bac2de; }
    h2 { font-size: 0.95rem; margin: 0 0 0.6rem; color: #cdd6f4; }
    ol { margin: 0; padding-left: 1.2rem; }
    li { margin: 0.35rem 0; }
    code { color: #f5c2e7; }
    p { color: #7f849c; font-size: 0.85rem; }
  `;

  override render() {
    return html`
      <h2>What runs when you type a command</h2>
      <ol>
        <li><code>berth</code>: the same CLI as on Linux, in this page</li>
        <li>the Docker Engine API, over a message channel instead of a unix socket</li>
        <li>the engine in a Web Worker: images, containers, the registry client; storage in OPFS and IndexedDB</li>
        <li>the runtimes: Linux containers in a v86 x86 VM (namespaces, cgroups, overlayfs), WebAssembly through WASI</li>
      </ol>
      <p>The live diagram of these parts comes here.</p>
    `;
  }
}

customElements.define('berth-architecture', BerthArchitecture);
