"""The network's rules: the guard every connection passes, robots.txt, and the HTTP seam."""
