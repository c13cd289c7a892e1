// Stylesheets are bundled as text (esbuild's text loader) and adopted into the components' shadow roots.
declare module '*.css' {
  const text: string;
  export default text;
}
