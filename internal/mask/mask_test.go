package mask

import "testing"

func TestMask(t *testing.T) {
	for i, c := range []struct{ got, want string }{
		{Phone("+79123456701"), "+7 912 ***-**-01"},
		{Phone("+4930123456"), "+493*****56"},
		{Phone("12345"), "*****"},
		{Phone(""), ""},
		{Email("anna@example.ru"), "a***@example.ru"},
		{Email("broken"), "******"},
		{Name("Иванова"), "Ив***"},
		{Name("Ли"), "Л***"},
		{Name(""), ""},
		{BirthDate("1985-03-14"), "1985"},
		{BirthDate(""), ""},
	} {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}
