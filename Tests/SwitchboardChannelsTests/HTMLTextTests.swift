import Testing
@testable import SwitchboardChannels

@Suite struct HTMLTextTests {
    @Test(arguments: [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<div>One</div><div>Two</div>", "One\nTwo"),
        ("One<br>Two<br><br>Three", "One\nTwo\n\nThree"),
        ("  lots   of \n white\tspace  ", "lots of white space"),
        ("<ul><li>a</li><li>b</li></ul>", "- a\n- b"),
        ("<ol><li>a</li><li>b</li></ol>", "1. a\n2. b"),
        ("<ol start=\"3\"><li>c</li></ol>", "3. c"),
        ("<ul><li>a<ul><li>nested</li></ul></li></ul>", "- a\n  - nested"),
        ("<a href=\"https://example.com/x\">the docs</a>", "the docs (https://example.com/x)"),
        ("<a href=\"https://example.com\">https://example.com</a>", "https://example.com"),
        ("<a href=\"mailto:a@example.com\">a@example.com</a>", "a@example.com"),
        ("<a href=\"#top\">top</a>", "top"),
        ("<a href=\"javascript:void(0)\">click</a>", "click"),
        ("&amp; &lt;b&gt; &quot;q&quot; &#39;s&#39; &eacute; &#233; &#xE9; &euro; &nbsp;x", "& <b> \"q\" 's' é é é € x"),
        ("&#150; &#x93;quoted&#x94;", "– “quoted”"),
        ("AT&T &unknown; &amp", "AT&T &unknown; &"),
        ("<script>alert(1)</script><style>p{}</style>Visible", "Visible"),
        ("<head><title>T</title></head><body>Body</body>", "Body"),
        ("<!-- comment -->Text<!--[if mso]>x<![endif]-->", "Text"),
        ("<table><tr><td>A</td><td>B</td></tr><tr><td>C</td><td>D</td></tr></table>", "A B\nC D"),
        ("<p>x</p><pre>  keep\n    this</pre>", "x\n\n  keep\n    this"),
        ("Before<blockquote>Quoted<br>lines</blockquote>After", "Before\n\n> Quoted\n> lines\n\nAfter"),
        ("<img src=\"x.png\" alt=\"Logo\"> and <img src=\"pixel.gif\">", "Logo and"),
        ("<p>Unclosed <b>tags", "Unclosed tags"),
        ("a < b and c > d", "a < b and c > d"),
        ("<P CLASS=MsoNormal>Upper<o:p></o:p></P>", "Upper"),
        ("", ""),
    ])
    func converts(html: String, expected: String) {
        #expect(HTMLText.text(from: html) == expected)
    }
}
