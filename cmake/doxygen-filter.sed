# Doxygen input filter: runt's headers document every declaration with plain
# C comments; this reads them as documentation without a second syntax in
# the headers. The file's first comment describes the file; a comment alone
# on its line documents what follows; a comment that ends a line of code
# documents that member (one inside a parameter list stays plain); the
# dashed section rules and their titles stay plain comments.
1s|^/\*$|/** @file|
/^[[:space:]]*\/\* -{10,}/b
/^\/\* .* {10,}\*\/$/b
s|^([[:space:]]*)/\*([^*-])|\1/**\2|
s|^([[:space:]]*[^[:space:]/*][^/]*)/\*([^*].*\*/)[[:space:]]*$|\1/**<\2|
