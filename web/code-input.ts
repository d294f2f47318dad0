// The code boxes: one digit each, typed, pasted or autofilled whole (the first box carries
// autocomplete="one-time-code", which is where iOS and Android drop an SMS code), and the WebOTP API
// where the browser has it. `onComplete` fires once every box holds a digit.

export interface CodeInput {
  value(): string;
  clear(): void;
  focus(): void;
  /** Listens for an SMS code through WebOTP until `signal` aborts (no-op without the API). */
  listenForSms(signal: AbortSignal): void;
}

export function createCodeInput(container: HTMLElement, length: number, onComplete: (code: string) => void): CodeInput {
  container.replaceChildren();
  const boxes: HTMLInputElement[] = [];
  for (let index = 0; index < length; index++) {
    const box = document.createElement('input');
    box.className = 'code-box';
    box.inputMode = 'numeric';
    box.pattern = '[0-9]*';
    box.autocomplete = index === 0 ? 'one-time-code' : 'off';
    box.setAttribute('aria-label', `Digit ${index + 1} of ${length}`);
    box.id = `code-${index + 1}`;
    boxes.push(box);
    container.append(box);
  }

  const value = () => boxes.map((box) => box.value).join('');

  /** Writes digits from box `start` onwards; returns the box after the last one written. */
  function fill(start: number, digits: string): number {
    let at = start;
    for (const digit of digits.replace(/\D/g, '').slice(0, length - start)) boxes[at++]!.value = digit;
    return at;
  }

  function settle(next: number): void {
    boxes[Math.min(next, length - 1)]!.focus();
    if (value().length === length) onComplete(value());
  }

  boxes.forEach((box, index) => {
    box.addEventListener('input', () => {
      // Autofill and some keyboards put the whole code into one box: spread it out.
      const digits = box.value.replace(/\D/g, '');
      box.value = '';
      if (digits === '') return;
      settle(fill(digits.length >= length ? 0 : index, digits));
    });
    box.addEventListener('paste', (event) => {
      event.preventDefault();
      const digits = event.clipboardData?.getData('text') ?? '';
      settle(fill(digits.replace(/\D/g, '').length >= length ? 0 : index, digits));
    });
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Backspace' && box.value === '' && index > 0) {
        boxes[index - 1]!.value = '';
        boxes[index - 1]!.focus();
        event.preventDefault();
      } else if (event.key === 'ArrowLeft' && index > 0) {
        boxes[index - 1]!.focus();
      } else if (event.key === 'ArrowRight' && index < length - 1) {
        boxes[index + 1]!.focus();
      }
    });
    box.addEventListener('focus', () => box.select());
  });

  return {
    value,
    clear() {
      for (const box of boxes) box.value = '';
    },
    focus: () => boxes[Math.min(value().length, length - 1)]!.focus(),
    listenForSms(signal) {
      if (!('OTPCredential' in window)) return;
      // WebOTP: resolves with the code of an SMS whose last line is "@<this host> #<code>".
      (navigator.credentials.get({ otp: { transport: ['sms'] }, signal } as CredentialRequestOptions) as Promise<{ code?: string } | null>)
        .then((credential) => {
          if (credential?.code === undefined) return;
          fill(0, credential.code);
          settle(length);
        })
        .catch(() => undefined); // aborted, or the customer typed the code first
    },
  };
}
