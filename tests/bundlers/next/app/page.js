'use client';
// A client component importing the package statically (the server prerender evaluates the
// import with the `node` condition; the browser bundle gets the browser entry).
import { useEffect, useState } from 'react';
import { MobileNet } from 'mobilenet-wasm';
import { run } from '../classify.js';

export default function Page() {
  const [started, setStarted] = useState(false);
  useEffect(() => {
    if (!started) {
      setStarted(true);
      run(MobileNet);
    }
  }, [started]);
  return (
    <main>
      <h1>mobilenet-wasm</h1>
      <p id="out">classifying…</p>
    </main>
  );
}
