import { useEffect } from "react";

/** Sets the browser tab title ("<page> · VisionSuit") while a page is shown. */
export function usePageTitle(title: string | null | undefined, siteTitle = "VisionSuit") {
  useEffect(() => {
    document.title = title ? `${title} · ${siteTitle}` : siteTitle;
  }, [title, siteTitle]);
}
