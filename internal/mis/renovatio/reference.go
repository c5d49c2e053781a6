package renovatio

import (
	"context"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/okno-crm/okno/internal/mis"
)

// clinic is an element of getClinics.
type clinic struct {
	ID          flexString `json:"id"`
	Title       flexString `json:"title"`
	Address     flexString `json:"address"`
	RealAddress flexString `json:"real_address"`
	Phone       flexString `json:"phone"`
	IsDeleted   flexBool   `json:"is_deleted"`
}

// Branches are the account's clinics (getClinics), deleted ones left out.
func (c *Client) Branches(ctx context.Context) ([]mis.Branch, error) {
	var list []clinic
	if err := c.read(ctx, "getClinics", nil, &list); err != nil {
		return nil, err
	}
	out := []mis.Branch{}
	for i, cl := range list {
		if !validID(string(cl.ID)) || cl.Title == "" {
			return nil, badAnswer("getClinics: clinic #%d without an id or title", i)
		}
		if cl.IsDeleted {
			continue
		}
		addr := cl.RealAddress
		if addr == "" {
			addr = cl.Address
		}
		out = append(out, mis.Branch{ID: string(cl.ID), Name: string(cl.Title), Address: string(addr), Phone: string(cl.Phone)})
	}
	return out, nil
}

// profession is an element of getProfessions.
type profession struct {
	ID        flexString `json:"id"`
	Name      flexString `json:"name"`
	IsDeleted flexBool   `json:"is_deleted"`
}

// Specialties are Renovatio's professions (getProfessions), by name.
func (c *Client) Specialties(ctx context.Context) ([]mis.Specialty, error) {
	var list []profession
	if err := c.read(ctx, "getProfessions", nil, &list); err != nil {
		return nil, err
	}
	out := []mis.Specialty{}
	for i, p := range list {
		if !validID(string(p.ID)) || p.Name == "" {
			return nil, badAnswer("getProfessions: profession #%d without an id or name", i)
		}
		if !p.IsDeleted {
			out = append(out, mis.Specialty{ID: string(p.ID), System: ProfessionSystem, Name: string(p.Name)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// user is an element of getUsers: an employee with the professions they
// practise and the clinics they work in.
type user struct {
	ID         flexString `json:"id"`
	Name       flexString `json:"name"`
	IsDeleted  flexBool   `json:"is_deleted"`
	Profession flexIDs    `json:"profession"`
	Clinic     flexIDs    `json:"clinic"`
}

// loadUsers reads getUsers into doctors by id: employees with at least one
// profession and one clinic, the ones a patient can be booked to.
func (c *Client) loadUsers(ctx context.Context) (map[string]user, error) {
	var list []user
	if err := c.read(ctx, "getUsers", nil, &list); err != nil {
		return nil, err
	}
	out := map[string]user{}
	for i, u := range list {
		if !validID(string(u.ID)) || strings.TrimSpace(string(u.Name)) == "" {
			return nil, badAnswer("getUsers: user #%d without an id or name", i)
		}
		for _, id := range append(slices.Clone(u.Profession), u.Clinic...) {
			if !validID(id) {
				return nil, badAnswer("getUsers: user %s with a malformed profession or clinic id", u.ID)
			}
		}
		if u.IsDeleted || len(u.Profession) == 0 || len(u.Clinic) == 0 {
			continue
		}
		out[string(u.ID)] = u
	}
	return out, nil
}

// doctorIndex returns the doctors, reloaded when older than usersTTL (the
// schedule is read per doctor, and a search by specialty or branch needs to
// know whose schedule to read).
func (c *Client) doctorIndex(ctx context.Context) (map[string]user, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users != nil && c.now().Sub(c.usersAt) < usersTTL {
		return c.users, nil
	}
	users, err := c.loadUsers(ctx)
	if err != nil {
		return nil, err
	}
	c.users, c.usersAt = users, c.now()
	return users, nil
}

// roleID names one doctor × clinic × profession.
func roleID(userID, clinicID, professionID string) string {
	return userID + "." + clinicID + "." + professionID
}

// Doctors are the employees who practise a profession in a clinic, with a
// role for each clinic × profession.
func (c *Client) Doctors(ctx context.Context) ([]mis.Doctor, error) {
	users, err := c.loadUsers(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.users, c.usersAt = users, c.now()
	c.mu.Unlock()
	out := make([]mis.Doctor, 0, len(users))
	for _, u := range users {
		d := mis.Doctor{ID: string(u.ID), Name: strings.TrimSpace(string(u.Name))}
		for _, cl := range u.Clinic {
			for _, p := range u.Profession {
				d.Roles = append(d.Roles, mis.DoctorRole{ID: roleID(d.ID, cl, p), BranchID: cl, SpecialtyID: p})
			}
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// service is an element of getServices. Its price is read as the JSON
// token Renovatio sent, so that money never passes through a float.
type service struct {
	ServiceID    flexString `json:"service_id"`
	Title        flexString `json:"title"`
	IsDeleted    flexBool   `json:"is_deleted"`
	IsHidden     flexBool   `json:"is_hidden"`
	ProfessionID flexString `json:"profession_id"`
	Price        flexString `json:"price"`
}

// Services are the price list (getServices), deleted and hidden ones left
// out. Price is Renovatio's decimal text, in roubles.
func (c *Client) Services(ctx context.Context) ([]mis.MedService, error) {
	var list []service
	if err := c.read(ctx, "getServices", nil, &list); err != nil {
		return nil, err
	}
	out := []mis.MedService{}
	for i, s := range list {
		if !validID(string(s.ServiceID)) || s.Title == "" {
			return nil, badAnswer("getServices: service #%d without a service_id or title", i)
		}
		if s.IsDeleted || s.IsHidden {
			continue
		}
		ms := mis.MedService{ID: string(s.ServiceID), Name: string(s.Title)}
		if s.ProfessionID != "" && s.ProfessionID != "0" {
			ms.SpecialtyID = string(s.ProfessionID)
		}
		if s.Price != "" {
			if !decimalPattern.MatchString(string(s.Price)) {
				return nil, badAnswer("getServices: service %s: price is not a decimal", s.ServiceID)
			}
			ms.Price, ms.Currency = string(s.Price), Currency
		}
		out = append(out, ms)
	}
	return out, nil
}

// urlValues builds a form from pairs, leaving out empty values.
func urlValues(pairs ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	return v
}
