import Testing
@testable import SwitchboardChannels

@Suite struct MIMEParametersTests {
    @Test(arguments: [
        ("text/plain; charset=\"utf-8\"", "text/plain", "charset", "utf-8"),
        ("TEXT/Plain;CHARSET=ISO-8859-1", "text/plain", "charset", "ISO-8859-1"),
        ("text/plain; charset=utf-8 (comment)", "text/plain", "charset", "utf-8"),
        ("multipart/mixed; boundary=\"----=_Part_1; odd\"", "multipart/mixed", "boundary", "----=_Part_1; odd"),
        ("attachment; filename=\"a \\\"quoted\\\" name.pdf\"", "attachment", "filename", "a \"quoted\" name.pdf"),
        ("attachment; filename=my file.pdf", "attachment", "filename", "my file.pdf"),
        ("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf", "attachment", "filename", "résumé.pdf"),
        ("attachment; filename*=iso-8859-1'de'%E4rger.txt", "attachment", "filename", "ärger.txt"),
        ("attachment; filename*0*=UTF-8''Rechnung%20M; filename*1*=%C3%A4rz.pdf", "attachment", "filename", "Rechnung März.pdf"),
        ("attachment; filename*0=\"part one \"; filename*1=\"and two.txt\"", "attachment", "filename", "part one and two.txt"),
        // Sections out of order are put in order.
        ("attachment; filename*1=\"b.txt\"; filename*0=\"a\"", "attachment", "filename", "ab.txt"),
        // A UTF-8 character split across two continuations comes out whole.
        ("attachment; filename*0*=utf-8''%C3; filename*1*=%A9t%C3%A9", "attachment", "filename", "été"),
        // The RFC 2231 value wins over the plain one.
        ("attachment; filename=\"fallback.pdf\"; filename*=utf-8''%E2%82%AC.pdf", "attachment", "filename", "€.pdf"),
        ("attachment; filename=\"=?UTF-8?B?w7xiZXJzaWNodC50eHQ=?=\"", "attachment", "filename", "übersicht.txt"),
        ("application/pdf; name=\"=?iso-8859-1?Q?r=E9sum=E9=2Epdf?=\"", "application/pdf", "name", "résumé.pdf"),
        ("attachment; filename*=''no%20charset.txt", "attachment", "filename", "no charset.txt"),
        ("attachment; filename*=utf-8''bad%zzpercent.txt", "attachment", "filename", "bad%zzpercent.txt"),
    ])
    func parses(header: String, value: String, parameter: String, expected: String) {
        let parsed = MIMEParameters.parse(header)
        #expect(parsed.value == value)
        #expect(parsed[parameter] == expected)
    }

    @Test func toleratesJunk() {
        #expect(MIMEParameters.parse("").value == "")
        #expect(MIMEParameters.parse(";;;=;").parameters.isEmpty)
        #expect(MIMEParameters.parse("text/plain; charset=\"unterminated").parameters["charset"] == "unterminated")
        #expect(MIMEParameters.parse("text/plain; novalue; charset=x")["charset"] == "x")
    }
}
