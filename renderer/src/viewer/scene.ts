/**
 * The 3D view: one three.js WebGL 2 renderer on one canvas, an orbit camera, and named layers
 * (`mesh:<body>`, `skeleton:<body>`, `synapses:<body>`, `roi:<name>`). It draws on demand (after a
 * change or a camera move), never in a loop, so an idle view costs nothing.
 *
 * Orientation: the camera starts looking along +z with y pointing down the screen, as the XY slice
 * shows the volume (x right, y down), so the two views agree.
 *
 * `preserveDrawingBuffer` keeps the last frame readable: "Save image" and the tests read it back.
 */
import { AmbientLight, Box3, Color, DirectionalLight, PerspectiveCamera, Scene, Sphere, Vector3, WebGLRenderer, type Object3D } from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { SCENE_BACKGROUND } from './colors';
import { disposeObject } from './objects';

let software: boolean | null = null;

/**
 * Whether WebGL is drawn by the CPU (SwiftShader, llvmpipe: a VM, a remote desktop, a machine without
 * a usable GPU). There multisampling multiplies the fragment work of every frame (4× MSAA cost about
 * 50 ms a frame on a 7.5 MB mesh), so the view draws without it: a responsive view with rougher edges
 * beats a smooth one that lags. Asked once, of a throwaway 1×1 context.
 */
export function softwareRendered(): boolean {
  if (software !== null) return software;
  software = false;
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (gl) {
      const info = gl.getExtension('WEBGL_debug_renderer_info');
      const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      software = /swiftshader|llvmpipe|softpipe|software/i.test(name);
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    }
  } catch {
    // no WebGL 2: BodyScene's own constructor reports it
  }
  return software;
}

export class BodyScene {
  readonly renderer: WebGLRenderer;
  readonly camera: PerspectiveCamera;
  readonly scene = new Scene();
  readonly controls: OrbitControls;
  readonly #layers = new Map<string, Object3D>();
  readonly #resize: ResizeObserver;
  #frame = 0;
  #afterFrame: Array<() => void> = [];
  /** true once the user moved the camera (then loading more does not re-frame the view) */
  userMoved = false;
  onRender: (() => void) | null = null;

  constructor(readonly canvas: HTMLCanvasElement) {
    this.renderer = new WebGLRenderer({ canvas, antialias: !softwareRendered(), preserveDrawingBuffer: true, powerPreference: 'high-performance' });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.scene.background = new Color(SCENE_BACKGROUND);
    this.camera = new PerspectiveCamera(35, 1, 1, 1e6);
    this.camera.up.set(0, -1, 0);
    this.camera.position.set(0, 0, -1000);
    this.scene.add(this.camera);
    this.scene.add(new AmbientLight(0xffffff, 0.55));
    // A headlight from above right of the viewer, moving with the camera.
    const key = new DirectionalLight(0xffffff, 2.4);
    key.position.set(0.6, 0.8, 1);
    key.target.position.set(0, 0, -1);
    this.camera.add(key, key.target);
    const fill = new DirectionalLight(0xb8c8ff, 0.7);
    fill.position.set(-1, -0.4, 0.2);
    fill.target.position.set(0, 0, -1);
    this.camera.add(fill, fill.target);

    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.screenSpacePanning = true;
    this.controls.zoomToCursor = true;
    this.controls.listenToKeyEvents(canvas);
    this.controls.addEventListener('change', () => {
      this.#fitClipping();
      this.requestRender();
    });
    this.controls.addEventListener('start', () => {
      this.userMoved = true;
    });

    this.#resize = new ResizeObserver(() => this.resize());
    this.#resize.observe(canvas);
    this.resize();
  }

  resize(): void {
    const w = Math.max(1, this.canvas.clientWidth);
    const h = Math.max(1, this.canvas.clientHeight);
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  has(key: string): boolean {
    return this.#layers.has(key);
  }

  get(key: string): Object3D | undefined {
    return this.#layers.get(key);
  }

  keys(): string[] {
    return [...this.#layers.keys()];
  }

  /**
   * Adds (or replaces) a layer; null removes it. Removed objects are disposed; a replaced one only
   * after its successor has been drawn, so a program both use (a preview and its full mesh) stays
   * compiled instead of being freed and built again.
   */
  set(key: string, object: Object3D | null): void {
    const old = this.#layers.get(key);
    if (old) {
      this.scene.remove(old);
      this.#layers.delete(key);
      if (object) this.afterNextFrame(() => disposeObject(old));
      else disposeObject(old);
    }
    if (object) {
      this.#layers.set(key, object);
      this.scene.add(object);
    }
    this.requestRender();
  }

  setVisible(key: string, visible: boolean): void {
    const o = this.#layers.get(key);
    if (o && o.visible !== visible) {
      o.visible = visible;
      this.requestRender();
    }
  }

  /** Bounds of the visible layers (ROIs only when nothing else is shown). */
  bounds(): Box3 {
    const box = new Box3();
    const add = (filter: (k: string) => boolean) => {
      for (const [k, o] of this.#layers) if (o.visible && filter(k)) box.expandByObject(o);
    };
    add((k) => !k.startsWith('roi:'));
    if (box.isEmpty()) add(() => true);
    return box;
  }

  /**
   * Frames everything shown: looking along +z, y down, the whole bounding sphere in view. Returns
   * false when nothing with an extent is shown (an empty synapse layer, say): the view then frames a
   * default box around the origin, which says nothing about where the body is.
   */
  resetView(): boolean {
    const box = this.bounds();
    const sphere = box.isEmpty() ? new Sphere(new Vector3(), 100) : box.getBoundingSphere(new Sphere());
    const r = Math.max(sphere.radius, 1);
    const fov = (this.camera.fov * Math.PI) / 180;
    const fit = Math.min(fov, 2 * Math.atan(Math.tan(fov / 2) * this.camera.aspect));
    const dist = (r / Math.sin(fit / 2)) * 1.05;
    this.controls.target.copy(sphere.center);
    this.camera.up.set(0, -1, 0);
    this.camera.position.copy(sphere.center).add(new Vector3(0, 0, -dist));
    this.camera.lookAt(sphere.center);
    this.#sceneRadius = r;
    this.controls.update();
    this.#fitClipping();
    this.userMoved = false;
    this.requestRender();
    return !box.isEmpty();
  }

  #sceneRadius = 100;

  /** Near and far planes that follow the zoom (voxel scenes span 1 to 10^5 units). */
  #fitClipping(): void {
    const d = this.camera.position.distanceTo(this.controls.target);
    this.camera.near = Math.max(0.05, d / 500);
    this.camera.far = d + this.#sceneRadius * 6 + 10;
    this.camera.updateProjectionMatrix();
  }

  requestRender(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.render();
    });
  }

  render(): void {
    const t0 = performance.now();
    this.renderer.render(this.scene, this.camera);
    // Draw cost (upload on a first frame, shader compiles, rasterising): benchmarks read these.
    performance.measure('dd:render', { start: t0, end: performance.now() });
    this.onRender?.();
    if (this.#afterFrame.length) {
      const done = this.#afterFrame;
      this.#afterFrame = [];
      // The frame just drawn is on screen by the next animation frame.
      requestAnimationFrame(() => {
        for (const f of done) f();
      });
    }
  }

  /** Runs `f` once the next frame (with everything added so far) has been presented. */
  afterNextFrame(f: () => void): void {
    this.#afterFrame.push(f);
    this.requestRender();
  }

  /** The current image as a PNG data URL. */
  snapshot(): string {
    this.render();
    return this.canvas.toDataURL('image/png');
  }

  dispose(): void {
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#resize.disconnect();
    this.controls.dispose();
    for (const k of this.#layers.keys()) this.set(k, null); // deleting during Map iteration is well-defined
    this.renderer.dispose();
  }
}
