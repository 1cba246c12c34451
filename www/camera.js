// The demo's camera: starting and stopping it, and a state (with a way forward) for every way it
// can fail — insecure page, no camera, permission denied, camera busy, the track ending.
const CAMERA_ERRORS = {
  NotAllowedError: ['denied', 'Camera permission was denied. Allow the camera in the site settings and press Start camera again, or classify an image.'],
  SecurityError: ['denied', 'The camera is blocked here. Classify an image instead.'],
  NotFoundError: ['none', 'No camera was found. Plug one in and press Start camera, or classify an image.'],
  OverconstrainedError: ['none', 'No camera matches. Classify an image instead.'],
  NotReadableError: ['busy', 'The camera is busy (another application is using it). Close it and press Start camera again, or classify an image.'],
  AbortError: ['busy', 'The camera could not start. Press Start camera to try again, or classify an image.'],
};

export const ENDED_TEXT = 'The camera stopped (unplugged, or taken by another application). Press Start camera to reconnect, or classify an image.';

/**
 * The camera of the page: `video` shows it, `stateEl` says its state (data-state: idle, live or
 * error; data-kind: what happened), `button` toggles it. `onLive(video)` is called once the
 * video plays, `onStop()` when it stops (by the button, or for an image).
 */
export class Camera {
  constructor({ video, stateEl, button, onLive, onStop }) {
    Object.assign(this, { video, stateEl, button, onLive, onStop });
    this.stream = null;
    button.addEventListener('click', () => (this.stream ? this.stop() : this.start()));
  }

  get live() {
    return this.stream !== null;
  }

  setState(kind, text, error = true) {
    this.stateEl.dataset.state = error ? 'error' : kind;
    this.stateEl.dataset.kind = kind;
    this.stateEl.textContent = text;
  }

  async start() {
    if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
      this.setState('insecure', 'The camera needs a secure page (https or localhost). Classify an image instead.');
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    } catch (e) {
      const [kind, text] = CAMERA_ERRORS[e.name] ?? ['failed', `The camera could not start (${e.name}). Classify an image instead.`];
      this.setState(kind, text);
      return;
    }
    this.stream = stream;
    const [track] = stream.getVideoTracks();
    // The live loop reports the track ending too; this covers the moments no loop runs.
    track.addEventListener('ended', () => { if (this.stream === stream) this.ended(); });
    this.video.srcObject = stream;
    this.video.hidden = false;
    await this.video.play();
    this.setState('live', `Camera: ${track.label || 'on'}`, false);
    this.button.textContent = 'Stop camera';
    this.onLive(this.video);
  }

  /** The track ended by itself (the live loop reports it): its own state. */
  ended() {
    if (this.stateEl.dataset.kind === 'ended') return;
    this.stream = null;
    this.button.textContent = 'Start camera';
    this.setState('ended', ENDED_TEXT);
  }

  stop() {
    if (!this.stream) return;
    this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.button.textContent = 'Start camera';
    this.setState('idle', 'Camera stopped.', false);
    this.onStop();
  }
}
